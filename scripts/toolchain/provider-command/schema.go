package main

// A compact package schema: names, types, required inputs, secrets and replaceOnChanges as in
// upstream's schema for 1.2.1, without the descriptions, CopyToRemote/CopyFile and local:run
// (not implemented here).

const schemaJSON = `{
  "name": "command",
  "version": "1.2.1",
  "displayName": "Command",
  "description": "Runs commands locally or over SSH as Pulumi resources (mqtt-lab's own implementation of the command provider's local and remote Command).",
  "license": "Apache-2.0",
  "config": {},
  "provider": {},
  "types": {
    "command:local:Logging": {
      "type": "string",
      "enum": [
        {"name": "stdout", "value": "stdout"},
        {"name": "stderr", "value": "stderr"},
        {"name": "stdoutAndStderr", "value": "stdoutAndStderr"},
        {"name": "none", "value": "none"}
      ]
    },
    "command:remote:Logging": {
      "type": "string",
      "enum": [
        {"name": "stdout", "value": "stdout"},
        {"name": "stderr", "value": "stderr"},
        {"name": "stdoutAndStderr", "value": "stdoutAndStderr"},
        {"name": "none", "value": "none"}
      ]
    },
    "command:remote:ProxyConnection": {
      "type": "object",
      "properties": {
        "agentSocketPath": {"type": "string"},
        "dialErrorLimit": {"type": "integer", "default": 10},
        "host": {"type": "string"},
        "hostKey": {"type": "string"},
        "password": {"type": "string", "secret": true},
        "perDialTimeout": {"type": "integer", "default": 15},
        "port": {"type": "number", "default": 22},
        "privateKey": {"type": "string", "secret": true},
        "privateKeyPassword": {"type": "string", "secret": true},
        "user": {"type": "string", "default": "root"}
      },
      "required": ["host"]
    },
    "command:remote:Connection": {
      "type": "object",
      "properties": {
        "agentSocketPath": {"type": "string"},
        "dialErrorLimit": {"type": "integer", "default": 10},
        "host": {"type": "string"},
        "hostKey": {"type": "string"},
        "password": {"type": "string", "secret": true},
        "perDialTimeout": {"type": "integer", "default": 15},
        "port": {"type": "number", "default": 22},
        "privateKey": {"type": "string", "secret": true},
        "privateKeyPassword": {"type": "string", "secret": true},
        "proxy": {"$ref": "#/types/command:remote:ProxyConnection"},
        "user": {"type": "string", "default": "root"}
      },
      "required": ["host"]
    }
  },
  "resources": {
    "command:local:Command": {
      "properties": {
        "addPreviousOutputInEnv": {"type": "boolean"},
        "archive": {"$ref": "pulumi.json#/Archive"},
        "archivePaths": {"type": "array", "items": {"type": "string"}},
        "assetPaths": {"type": "array", "items": {"type": "string"}},
        "assets": {"type": "object", "additionalProperties": {"$ref": "pulumi.json#/AssetOrArchive"}},
        "create": {"type": "string"},
        "delete": {"type": "string"},
        "dir": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "interpreter": {"type": "array", "items": {"type": "string"}},
        "logging": {"$ref": "#/types/command:local:Logging"},
        "stderr": {"type": "string"},
        "stdin": {"type": "string"},
        "stdout": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}},
        "update": {"type": "string"}
      },
      "required": ["stderr", "stdout"],
      "inputProperties": {
        "addPreviousOutputInEnv": {"type": "boolean"},
        "archivePaths": {"type": "array", "items": {"type": "string"}},
        "assetPaths": {"type": "array", "items": {"type": "string"}},
        "create": {"type": "string"},
        "delete": {"type": "string"},
        "dir": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "interpreter": {"type": "array", "items": {"type": "string"}},
        "logging": {"$ref": "#/types/command:local:Logging"},
        "stdin": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
        "update": {"type": "string"}
      }
    },
    "command:remote:Command": {
      "properties": {
        "addPreviousOutputInEnv": {"type": "boolean"},
        "connection": {"$ref": "#/types/command:remote:Connection", "secret": true},
        "create": {"type": "string"},
        "delete": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "logging": {"$ref": "#/types/command:remote:Logging"},
        "stderr": {"type": "string"},
        "stdin": {"type": "string"},
        "stdout": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}},
        "update": {"type": "string"}
      },
      "required": ["connection", "stderr", "stdout"],
      "inputProperties": {
        "addPreviousOutputInEnv": {"type": "boolean"},
        "connection": {"$ref": "#/types/command:remote:Connection", "secret": true},
        "create": {"type": "string"},
        "delete": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "logging": {"$ref": "#/types/command:remote:Logging"},
        "stdin": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
        "update": {"type": "string"}
      },
      "requiredInputs": ["connection"]
    }
  }
}`
