/**
 * The report's words, in French (the seed's language) and English: the TP's questions, the
 * headings and the phrases that carry a measured value. Values come in as arguments; these
 * functions never make one up.
 */
export type Lang = "fr" | "en";

/** The TP's questions, in the seed's order (its own words in French). */
export type QuestionId =
    "handshake" | "tshark" | "confidentiality" | "asymmetric" | "generation" | "openssl" | "algorithm" | "validity" | "transfer" | "ports" | "error" | "tls";

export const questionOrder: readonly QuestionId[] = [
    "handshake",
    "tshark",
    "confidentiality",
    "asymmetric",
    "generation",
    "openssl",
    "algorithm",
    "validity",
    "transfer",
    "ports",
    "error",
    "tls",
];

export interface Texts {
    title: (stack: string) => string;
    intro: (when: string, broker: string, client: string) => string;
    questionsTitle: string;
    questionsIntro: string;
    questions: Record<QuestionId, string>;
    /** What the student does for each question (the questions-only version's instructions). */
    tasks: Partial<Record<QuestionId, string>>;
    measuredBy: (command: string, host: string) => string;
    missing: (why: string) => string;
    seedSaid: (what: string) => string;
    yes: string;
    no: string;
    handshakeSeen: (n: number) => string;
    handshakeNotSeen: string;
    handshakeFromTls: (port: number) => string;
    teardown: (n: number) => string;
    allFrames: string;
    seedCommandReturned: (topic: string, port: number) => string;
    seedCommandEmptyTls: (port: number) => string;
    inClear: (what: string[]) => string;
    notInClear: (what: string[]) => string;
    credentials: (user: string, password: string) => string;
    passwordIs: Record<"the teaching password" | "another value" | "none", string>;
    confidentialityPlain: string;
    confidentialityTls: string;
    teachingOff: string;
    teachingOffShort: string;
    teachingOn: string;
    asymmetric: (alg: string, size: string, issuer: string, sig: string, verify: string) => string;
    generation: (caSubject: string, leafSubject: string, sans: string) => string;
    generationHow: string;
    versions: string;
    notStated: string;
    algorithm: (alg: string, size: string, session: string) => string;
    validity: (days: number, notBefore: string, notAfter: string) => string;
    transfer: string;
    fingerprint: (role: string, address: string, fp: string) => string;
    modesTitle: string;
    portsListen: (ports: string) => string;
    errorSeed: string;
    errorReproduced: (exit: number) => string;
    errorControl: (exit: number) => string;
    errorNotRun: string;
    tlsRecords: (kinds: string) => string;
    markerFound: string;
    certTitle: string;
    certColumns: [string, string, string, string, string, string];
    certRows: {
        version: string;
        subject: string;
        issuer: string;
        selfIssued: string;
        sans: string;
        key: string;
        signature: string;
        validity: string;
        ca: string;
    };
    chainTitle: string;
    capturesTitle: string;
    captureTls: (file: string, packets: number) => string;
    capturePlain: (file: string, packets: number) => string;
    captureNone: string;
    checksTitle: string;
    checksIntro: (file: string, when: string, passed: number, total: number) => string;
    checkColumns: [string, string, string, string, string];
    pass: string;
    fail: string;
    hostsTitle: string;
    hostColumns: [string, string, string, string, string];
    otherLanguage: string;
}

export const texts: Record<Lang, Texts> = {
    fr: {
        title: (stack) => `TP Sécurité : MQTT — rapport mesuré du labo (stack ${stack})`,
        intro: (when, broker, client) =>
            `Chaque réponse vient d'une mesure faite le ${when} sur les hôtes du labo (broker ${broker}, client ${client}) et cite la commande et l'hôte qui l'ont donnée. Ce que le TP d'origine (31/05/2022) avait trouvé est mis en regard. Une mesure absente est dite absente.`,
        questionsTitle: "Questions du TP",
        questionsIntro: "Répondez à chaque question à partir de ce que vous mesurez sur vos hôtes, en citant la commande utilisée.",
        questions: {
            handshake: "Le TCP Handshake est-il présent dans votre capture ?",
            tshark: "Publiez un nouveau message sur le topic « cheese/strudel ». Que vous retourne tshark ?",
            confidentiality: "Conclusion quant à la confidentialité de l'échange ?",
            asymmetric: "Rappelez le lien entre les certificats et le chiffrement asymétrique.",
            generation: "Rappelez le processus de génération d'un certificat.",
            openssl: "Pour générer vos certificats, vous devez créer votre propre autorité. Quelle est la version installée ?",
            algorithm: "Quel algorithme de chiffrement est utilisé ?",
            validity: "Quelle est la durée de validité du certificat ?",
            transfer: "Comment choisissez-vous de transférer ces fichiers au broker ?",
            ports: "Sur quels ports le serveur écoute-t-il ?",
            error: "Quelle erreur rencontrez-vous en MQTTS, et pourquoi ?",
            tls: "Que voit tshark lorsque le message passe en MQTTS ?",
        },
        tasks: {
            handshake: "Lancez tshark et publiez un message sur le broker.",
            tshark: "Filtrez : `tshark -Y mqtt -T fields -e mqtt.topic`.",
            error: "Publiez avec `mosquitto_pub -p 8883 --cafile … --cert … --key …` sans `--insecure`.",
            tls: "Refaites la capture pendant une publication sur le port TLS.",
        },
        measuredBy: (command, host) => `Mesuré par \`${command}\` sur ${host}.`,
        missing: (why) => `**Mesure manquante** : ${why}`,
        seedSaid: (what) => `Le TP d'origine : ${what}`,
        yes: "oui",
        no: "non",
        handshakeSeen: (n) => `Oui : les trois trames de la poignée de main TCP (SYN, SYN-ACK, ACK) précèdent l'échange MQTT, sur ${n} trames capturées :`,
        handshakeNotSeen: "Non : la capture ne contient pas les trois trames SYN, SYN-ACK, ACK.",
        handshakeFromTls: (port) => `La capture du port TLS ${port} y répond : TCP s'établit avant TLS.`,
        teardown: (n) => `La fermeture est visible aussi (${n} trame(s) FIN).`,
        allFrames: "Ce que tshark a collecté (la « capture d'écran » du TP) :",
        seedCommandReturned: (topic, port) =>
            `tshark retourne le topic \`${topic}\`, lu en clair dans le PUBLISH sur le port ${port} (une ligne vide par paquet MQTT sans topic : CONNECT, CONNACK, DISCONNECT) :`,
        seedCommandEmptyTls: (port) => `Sur le port TLS ${port}, la même commande ne retourne aucun topic :`,
        inClear: (what) => `Vu en clair dans la capture : ${what.join(", ")}.`,
        notInClear: (what) => `Absent des octets capturés : ${what.join(", ")}.`,
        credentials: (user, password) => `Le CONNECT porte l'identifiant \`${user}\` et le mot de passe en clair (${password}).`,
        passwordIs: {
            "the teaching password": "c'est le mot de passe du listener pédagogique ; masqué dans ce rapport : [masqué]",
            "another value": "une autre valeur, masquée",
            none: "aucun mot de passe",
        },
        confidentialityPlain: "L'échange en clair n'est pas confidentiel : quiconque capture le trafic lit le topic, le message et les identifiants.",
        confidentialityTls: "En MQTTS, la capture ne contient ni le topic ni le message : seuls des enregistrements TLS chiffrés passent.",
        teachingOff:
            "**Mesure manquante** : le listener pédagogique (en clair) est désactivé, la partie en clair n'a donc pas été capturée. Pour l'activer, puis refaire le rapport :",
        teachingOffShort:
            "**Mesure manquante** : le listener pédagogique (en clair) est désactivé, la partie en clair n'a donc pas été capturée (la question 2 donne les commandes qui l'activent).",
        teachingOn: "Listener pédagogique actif",
        asymmetric: (alg, size, issuer, sig, verify) =>
            `Le certificat servi par le broker contient sa clé publique (${alg}, ${size}) ; il est signé par l'autorité \`${issuer}\` (${sig}). Le client a vérifié cette signature avec la clé publique de la CA (résultat : ${verify}) ; la clé privée du broker, elle, ne quitte jamais le broker.`,
        generation: (caSubject, leafSubject, sans) =>
            `Une paire de clés, une demande de signature (CSR) portant le sujet, puis la signature par la clé privée de la CA. Mesuré sur les certificats du labo : la CA \`${caSubject}\` (CA:TRUE) a signé le certificat du broker \`${leafSubject}\`, dont les SAN sont ${sans}.`,
        generationHow:
            "Dans ce labo, Pulumi fait ces étapes (`src/components/pki.ts` : `tls.PrivateKey`, `tls.CertRequest`, `tls.LocallySignedCert`) ; la clé de la CA ne quitte pas la machine qui lance Pulumi.",
        versions: "Versions mesurées sur les hôtes :",
        notStated: "non indiquée",
        algorithm: (alg, size, session) => `Clés ${alg} (${size}). Session TLS négociée : ${session}.`,
        validity: (days, notBefore, notAfter) => `${days} jours (du ${notBefore} au ${notAfter}).`,
        transfer:
            "Par SSH, clé d'hôte épinglée : Pulumi (et ce rapport, par ssh2) refuse un hôte dont la clé n'a pas l'empreinte attendue, avant d'envoyer quoi que ce soit. Les fichiers passent sur l'entrée standard, dans un dossier privé, puis sont renommés en place.",
        fingerprint: (role, address, fp) => `${role} ${address} : empreinte épinglée \`${fp}\``,
        modesTitle: "Droits des fichiers sur les hôtes",
        portsListen: (ports) => `Ports TCP en écoute sur le broker : ${ports}.`,
        errorSeed:
            "Le TP d'origine a obtenu « A TLS error occured » côté client et « tlsv1 alert unknown ca » côté broker : son certificat de broker, X.509 v1, portait le même sujet que sa CA. OpenSSL le prend alors pour un certificat auto-signé (« self-signed certificate ») qu'aucune CA de confiance ne signe, et le client répond par l'alerte `unknown ca`. `--insecure` cachait l'erreur sans la corriger.",
        errorReproduced: (exit) => `Reproduit sur un broker jetable (mosquitto_pub sort avec le code ${exit}) :`,
        errorControl: (exit) =>
            `Contrôle positif, même broker, chaîne du type du labo (CA v3 CA:TRUE, feuille à sujet propre avec SAN) : mosquitto_pub sort avec le code ${exit}.`,
        errorNotRun: "Reproduction non faite dans ce rapport : `npm run report -- --reproduce-unknown-ca` la fait sur un broker jetable, en loopback.",
        tlsRecords: (kinds) => `tshark voit des enregistrements TLS : ${kinds}.`,
        markerFound:
            "Le marqueur de fin, envoyé exprès en clair sur ce port après la publication, est bien retrouvé : le détecteur voit ce qui passe en clair (contrôle positif).",
        certTitle: "Certificats : le labo à côté du TP",
        certColumns: ["", "CA du labo", "broker du labo (servi)", "client du labo", "broker du TP", "client du TP"],
        certRows: {
            version: "version X.509",
            subject: "sujet",
            issuer: "émetteur",
            selfIssued: "sujet = émetteur (normal pour une CA racine, l'erreur du TP pour une feuille)",
            sans: "SAN",
            key: "algorithme et taille de clé",
            signature: "signature",
            validity: "validité (jours)",
            ca: "CA (basicConstraints)",
        },
        chainTitle: "La chaîne telle que le broker la sert",
        capturesTitle: "Captures (ouvrables dans Wireshark)",
        captureTls: (file, packets) => `\`${file}\` (mode 0600) : la publication sur le port TLS, ${packets} paquets ; ni topic ni message en clair.`,
        capturePlain: (file, packets) =>
            `\`${file}\` (mode 0600) : la publication en clair, ${packets} paquets ; elle contient le mot de passe pédagogique en clair, comme une capture d'étudiant.`,
        captureNone: "pas de capture en clair (listener pédagogique désactivé)",
        checksTitle: "Vérifications du dernier `up` ou `verify`",
        checksIntro: (file, when, passed, total) => `Lues dans \`${file}\` (${when}) : ${passed} sur ${total} réussies.`,
        checkColumns: ["vérification", "identité", "hôte", "résultat", "ce qui a été vu"],
        pass: "réussie",
        fail: "**ÉCHEC**",
        hostsTitle: "Hôtes",
        hostColumns: ["rôle", "adresse", "nom", "OpenSSL", "mosquitto"],
        otherLanguage: "English version",
    },
    en: {
        title: (stack) => `MQTT security lab — the lab's measured report (stack ${stack})`,
        intro: (when, broker, client) =>
            `Each answer comes from a measurement taken on ${when} on the lab's hosts (broker ${broker}, client ${client}) and cites the command and host it came from. What the original TP (31/05/2022) found is set beside it. A missing measurement is said to be missing.`,
        questionsTitle: "The TP's questions",
        questionsIntro: "Answer each question from what you measure on your hosts, citing the command you used.",
        questions: {
            handshake: "Is the TCP handshake in your capture?",
            tshark: 'Publish a new message on the topic "cheese/strudel". What does tshark return?',
            confidentiality: "What do you conclude about the confidentiality of the exchange?",
            asymmetric: "Recall the link between certificates and asymmetric cryptography.",
            generation: "Recall how a certificate is generated.",
            openssl: "To make your certificates you need your own authority. Which version is installed?",
            algorithm: "Which algorithm is used?",
            validity: "How long is the certificate valid?",
            transfer: "How do you choose to transfer these files to the broker?",
            ports: "Which ports does the server listen on?",
            error: "Which error do you get with MQTTS, and why?",
            tls: "What does tshark see when the message goes over MQTTS?",
        },
        tasks: {
            handshake: "Start tshark and publish a message to the broker.",
            tshark: "Filter: `tshark -Y mqtt -T fields -e mqtt.topic`.",
            error: "Publish with `mosquitto_pub -p 8883 --cafile … --cert … --key …`, without `--insecure`.",
            tls: "Capture again while publishing on the TLS port.",
        },
        measuredBy: (command, host) => `Measured by \`${command}\` on ${host}.`,
        missing: (why) => `**Missing measurement**: ${why}`,
        seedSaid: (what) => `The original TP: ${what}`,
        yes: "yes",
        no: "no",
        handshakeSeen: (n) => `Yes: the three frames of the TCP handshake (SYN, SYN-ACK, ACK) come before the MQTT exchange, out of ${n} frames captured:`,
        handshakeNotSeen: "No: the capture does not hold the three frames SYN, SYN-ACK, ACK.",
        handshakeFromTls: (port) => `The capture of the TLS port ${port} answers it: TCP is set up before TLS.`,
        teardown: (n) => `The teardown is there too (${n} FIN frames).`,
        allFrames: 'What tshark collected (the TP\'s "screenshot"):',
        seedCommandReturned: (topic, port) =>
            `tshark returns the topic \`${topic}\`, read in clear in the PUBLISH on port ${port} (an empty line for each MQTT packet without a topic: CONNECT, CONNACK, DISCONNECT):`,
        seedCommandEmptyTls: (port) => `On the TLS port ${port}, the same command returns no topic:`,
        inClear: (what) => `Seen in clear in the capture: ${what.join(", ")}.`,
        notInClear: (what) => `Absent from the captured bytes: ${what.join(", ")}.`,
        credentials: (user, password) => `The CONNECT carries the username \`${user}\` and the password in clear (${password}).`,
        passwordIs: {
            "the teaching password": "the teaching listener's password; redacted in this report: [redacted]",
            "another value": "another value, redacted",
            none: "no password",
        },
        confidentialityPlain: "The plaintext exchange is not confidential: whoever captures the traffic reads the topic, the message and the credentials.",
        confidentialityTls: "Over MQTTS the capture holds neither the topic nor the message: only encrypted TLS records cross.",
        teachingOff:
            "**Missing measurement**: the (plaintext) teaching listener is off, so the plaintext leg was not captured. To turn it on, then run the report again:",
        teachingOffShort:
            "**Missing measurement**: the (plaintext) teaching listener is off, so the plaintext leg was not captured (question 2 gives the commands that turn it on).",
        teachingOn: "Teaching listener on",
        asymmetric: (alg, size, issuer, sig, verify) =>
            `The certificate the broker serves holds its public key (${alg}, ${size}); it is signed by the authority \`${issuer}\` (${sig}). The client checked that signature with the CA's public key (result: ${verify}); the broker's private key never leaves the broker.`,
        generation: (caSubject, leafSubject, sans) =>
            `A key pair, a signing request (CSR) carrying the subject, then the signature by the CA's private key. Measured on the lab's certificates: the CA \`${caSubject}\` (CA:TRUE) signed the broker's certificate \`${leafSubject}\`, whose SANs are ${sans}.`,
        generationHow:
            "In this lab Pulumi takes these steps (`src/components/pki.ts`: `tls.PrivateKey`, `tls.CertRequest`, `tls.LocallySignedCert`); the CA's key never leaves the machine running Pulumi.",
        versions: "Versions measured on the hosts:",
        notStated: "not stated",
        algorithm: (alg, size, session) => `${alg} keys (${size}). TLS session negotiated: ${session}.`,
        validity: (days, notBefore, notAfter) => `${days} days (from ${notBefore} to ${notAfter}).`,
        transfer:
            "Over SSH, host key pinned: Pulumi (and this report, through ssh2) refuses a host whose key does not have the expected fingerprint, before sending anything. The files travel on stdin into a private folder, then are renamed into place.",
        fingerprint: (role, address, fp) => `${role} ${address}: pinned fingerprint \`${fp}\``,
        modesTitle: "File modes on the hosts",
        portsListen: (ports) => `TCP ports listening on the broker: ${ports}.`,
        errorSeed:
            'The original TP got "A TLS error occured" on the client and "tlsv1 alert unknown ca" on the broker: its broker certificate, X.509 v1, bore the same subject as its CA. OpenSSL then takes it for a self-signed certificate ("self-signed certificate") that no trusted CA signs, and the client answers with the alert `unknown ca`. `--insecure` hid the error without fixing it.',
        errorReproduced: (exit) => `Reproduced on a throw-away broker (mosquitto_pub exits with code ${exit}):`,
        errorControl: (exit) =>
            `Positive control, same broker, a chain of the lab's kind (v3 CA with CA:TRUE, a leaf with its own subject and SANs): mosquitto_pub exits with code ${exit}.`,
        errorNotRun: "Not reproduced in this report: `npm run report -- --reproduce-unknown-ca` reproduces it on a throw-away broker, on loopback.",
        tlsRecords: (kinds) => `tshark sees TLS records: ${kinds}.`,
        markerFound:
            "The end marker, sent in clear on purpose on this port after the publish, is found: the detector sees what does cross in clear (positive control).",
        certTitle: "Certificates: the lab beside the TP",
        certColumns: ["", "lab CA", "lab broker (served)", "lab client", "TP's broker", "TP's client"],
        certRows: {
            version: "X.509 version",
            subject: "subject",
            issuer: "issuer",
            selfIssued: "subject = issuer (right for a root CA, the TP's mistake for a leaf)",
            sans: "SANs",
            key: "key algorithm and size",
            signature: "signature",
            validity: "validity (days)",
            ca: "CA (basicConstraints)",
        },
        chainTitle: "The chain as the broker serves it",
        capturesTitle: "Captures (they open in Wireshark)",
        captureTls: (file, packets) => `\`${file}\` (mode 0600): the publish on the TLS port, ${packets} packets; neither topic nor message in clear.`,
        capturePlain: (file, packets) =>
            `\`${file}\` (mode 0600): the plaintext publish, ${packets} packets; it holds the teaching password in clear, as a student's capture would.`,
        captureNone: "no plaintext capture (teaching listener off)",
        checksTitle: "Checks of the latest `up` or `verify`",
        checksIntro: (file, when, passed, total) => `Read from \`${file}\` (${when}): ${passed} of ${total} passed.`,
        checkColumns: ["check", "identity", "host", "result", "what was seen"],
        pass: "pass",
        fail: "**FAIL**",
        hostsTitle: "Hosts",
        hostColumns: ["role", "address", "name", "OpenSSL", "mosquitto"],
        otherLanguage: "Version française",
    },
};
