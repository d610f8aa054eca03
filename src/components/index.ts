export * from "./hosts";
export * from "./pki";
export * from "./broker";
export * from "./client";
export * from "./checks";
export * from "./drift";
