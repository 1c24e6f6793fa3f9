// Starts `tuskc lsp` for .tsk files. Everything else (diagnostics, hover, completion, definition, outline,
// formatting) comes from the server, so this file stays small.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function settings() {
  const c = vscode.workspace.getConfiguration("tuskc");
  return { env: c.get("env") || "", provider: c.get("provider") || "" };
}

function activate(context) {
  const command = vscode.workspace.getConfiguration("tuskc").get("path") || "tuskc";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "tuskc",
    "tuskc",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "tusk" },
        { scheme: "untitled", language: "tusk" },
      ],
      initializationOptions: settings(),
      // Sends workspace/didChangeConfiguration with the `tuskc` section when the user changes a setting.
      synchronize: { configurationSection: "tuskc" },
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
