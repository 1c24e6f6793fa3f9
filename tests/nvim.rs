//! End to end with a real editor: headless Neovim (its built-in LSP client) opens an example file with a mistake and
//! receives the diagnostic from `tuskc lsp`. Needs `nvim` on PATH (`.ci/test` installs Debian's `neovim`). The Lua
//! sticks to APIs Neovim 0.7 (Debian 12) already has.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::copy_dir;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = r#"
local file = os.getenv("TSK_FILE")
local out = os.getenv("TSK_OUT")
vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "tuskc",
  cmd = { os.getenv("TUSKC"), "lsp" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
vim.lsp.buf_attach_client(bufnr, client_id)
vim.wait(20000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(bufnr)) do
  local code = d.code
  if code == nil and d.user_data and d.user_data.lsp then code = d.user_data.lsp.code end
  local msg = string.gsub(d.message, "\n", " | ")
  table.insert(lines, string.format("%d:%d %s %s", d.lnum, d.col, tostring(code), msg))
end
if #lines == 0 then table.insert(lines, "no diagnostics") end
vim.fn.writefile(lines, out)
vim.lsp.stop_client(client_id)
vim.cmd("qa!")
"#;

#[test]
fn neovim_shows_the_diagnostic_from_tuskc_lsp() {
    let nvim = Command::new("nvim").arg("--version").output();
    if !common::tool_available(
        nvim.is_ok_and(|o| o.status.success()),
        "needs Neovim (`nvim` on PATH: Debian package `neovim`; .ci/test installs it)",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop"),
        &dir,
    );
    // The mistake: a port that is not a number.
    let api = dir.join("services/api.tsk");
    let text = std::fs::read_to_string(&api).unwrap();
    std::fs::write(&api, text.replacen("port: 8080", "port: \"eighty\"", 1)).unwrap();
    let line = text.lines().position(|l| l == "port: 8080").unwrap();

    let script = tmp.path().join("e2e.lua");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = tmp.path().join("diagnostics.txt");
    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("TUSKC", env!("CARGO_BIN_EXE_tuskc"))
        .env("TSK_FILE", &api)
        .env("TSK_OUT", &out)
        .env("XDG_STATE_HOME", tmp.path())
        .env("XDG_DATA_HOME", tmp.path())
        .env("XDG_CACHE_HOME", tmp.path())
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("Neovim did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let got =
        std::fs::read_to_string(&out).expect("the Lua script writes the diagnostics it received");
    let first = got.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("{line}:6 TSK05")),
        "expected a schema error at line {line} column 6, got:\n{got}"
    );
    assert!(first.contains("port"), "{got}");
}
