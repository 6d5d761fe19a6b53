-- Default `vim.lsp.Config` for mistral-lsp, so that `vim.lsp.enable('mistral')` works on its own
-- (Neovim >= 0.11 reads `lsp/<name>.lua` from 'runtimepath'). `require('mistral').setup()`
-- layers its own options on top with `vim.lsp.config('mistral', {...})`.
--
-- Without `setup()`, code actions from `vim.lsp.buf.code_action()` run on the server, which
-- applies fixes through `workspace/applyEdit` and opens results with `window/showDocument`.
-- The API key reaches the server through the environment (`MISTRAL_API_KEY`).
--
-- The command is resolved when the server starts: the server `:MistralInstall` put under
-- stdpath('data'), else `mistral-lsp` on $PATH. A `cmd` list of yours
-- (`vim.lsp.config('mistral', { cmd = { ... } })`) wins.

local root_markers = {
  {
    'pyproject.toml',
    'setup.py',
    'setup.cfg',
    'package.json',
    'go.mod',
    'Cargo.toml',
    'pom.xml',
  },
  '.git',
}

---@type vim.lsp.Config
return {
  cmd = function(dispatchers, config)
    -- This file also works copied alone into your config's lsp/ folder (no plugin to ask).
    local ok, plugin = pcall(require, 'mistral.config')
    local argv = ok and plugin.server_cmd() or { 'mistral-lsp' }
    return vim.lsp.rpc.start(argv, dispatchers, {
      cwd = config.cmd_cwd,
      env = config.cmd_env,
      detached = config.detached,
    })
  end,
  filetypes = {
    'python',
    'javascript',
    'javascriptreact',
    'typescript',
    'typescriptreact',
    'go',
    'rust',
    'java',
    'c',
    'cpp',
    'cs',
    'ruby',
    'php',
    'lua',
    'sh',
    'bash',
  },
  root_markers = root_markers,
  -- No client at all when the server command is missing: the plugin says so in one line, with
  -- how to install it (instead of Neovim's spawn error, too long for the command line).
  root_dir = function(bufnr, on_dir)
    local ok, plugin = pcall(require, 'mistral.config')
    if ok and not plugin.server_found() then
      return
    end
    -- Your `vim.lsp.config('mistral', { root_markers = ... })` wins over these.
    local markers = vim.tbl_get(vim.lsp.config.mistral or {}, 'root_markers') or root_markers
    on_dir(vim.fs.root(bufnr, markers))
  end,
  -- No `settings` here: Neovim would encode an empty `mistral` table as a JSON array.
  -- Add them with vim.lsp.config('mistral', { settings = { mistral = { model = '...' } } }).
}
