--- Options of `require('mistral').setup()`, their defaults, the API key and the
--- `vim.lsp.Config` layered over `lsp/mistral.lua`.
local M = {}

--- Name of the LSP config (`lsp/mistral.lua`, `vim.lsp.enable('mistral')`).
M.name = 'mistral'

---@alias mistral.Action mistral.protocol.ActionName

---@class mistral.Keymaps
---@field review? string|false
---@field explain? string|false
---@field ask? string|false
---@field fix? string|false
---@field tests? string|false
---@field stop? string|false
---@field enter? string|false Enter the explanation float.

---@class mistral.PreviewKeys
---@field accept string
---@field reject string
---@field accept_all string
---@field reject_all string
---@field next_hunk? string Next hunk of a fix in the buffer (`]h`).
---@field prev_hunk? string Previous hunk (`[h`).

---@class mistral.Options
---@field cmd? string[] Server command (default: the one `:MistralInstall` installed, else `mistral-lsp` on $PATH).
---@field install? mistral.InstallOptions How `:MistralInstall` installs the server.
---@field filetypes? string[] Filetypes to attach to (default: lsp/mistral.lua's list).
---@field settings? mistral.protocol.Settings Section `mistral` answered to `workspace/configuration` (camelCase keys, see docs/protocol.md).
---@field api_key_cmd? string|string[] Command printing the API key; wins over env MISTRAL_API_KEY.
---@field enable? boolean Call `vim.lsp.enable('mistral')` in setup (default true).
---@field review? { on_save?: boolean|string[] }
---@field fix? { preview?: boolean }
---@field tests? { open?: 'split'|'vsplit'|'tab'|'edit' }
---@field explain? { max_width?: integer, max_height?: number, focus?: boolean } `focus`: the float takes the cursor at once (default false).
---@field preview_keys? mistral.PreviewKeys Buffer-local keys while a fix preview is shown.
---@field keymaps? boolean|mistral.Keymaps `true` for the suggested `<Leader>m*` maps; a table to choose.

---@type mistral.Options
M.defaults = {
  cmd = nil,
  install = { python = nil, pip_args = {} },
  filetypes = nil,
  settings = {},
  api_key_cmd = nil,
  enable = true,
  review = { on_save = false },
  fix = { preview = true },
  tests = { open = 'split' },
  explain = { max_width = 88, max_height = 0.6, focus = false },
  preview_keys = {
    accept = '<LocalLeader>a',
    reject = '<LocalLeader>r',
    accept_all = '<LocalLeader>A',
    reject_all = '<LocalLeader>R',
    next_hunk = ']h',
    prev_hunk = '[h',
  },
  keymaps = false,
}

--- Suggested keys for `keymaps = true`. `<Leader>` maps never shadow a built-in command.
---@type mistral.Keymaps
M.suggested_keymaps = {
  review = '<Leader>mr',
  explain = '<Leader>me',
  ask = '<Leader>ma',
  fix = '<Leader>mf',
  tests = '<Leader>mt',
  stop = '<Leader>ms',
  enter = '<Leader>mE',
}

---@type mistral.Options
M.options = vim.deepcopy(M.defaults)

--- Whether `setup()` ran.
M.did_setup = false

---@param opts? mistral.Options
function M.set(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  -- Lists are replaced, not merged.
  if opts and opts.cmd then
    M.options.cmd = opts.cmd
  end
  if opts and opts.filetypes then
    M.options.filetypes = opts.filetypes
  end
end

--- The server command and where it comes from: setup's `cmd`, else the one of
--- `vim.lsp.config.mistral` when it is a list (yours: lsp/mistral.lua's is a function), else the
--- server `:MistralInstall` put in its venv, else `mistral-lsp` on $PATH.
---@return string[] argv
---@return string source "setup({ cmd })" | "vim.lsp.config cmd" | ":MistralInstall" | "$PATH"
function M.server_cmd()
  if M.options.cmd then
    return M.options.cmd, 'setup({ cmd })'
  end
  local ok, resolved = pcall(function()
    return vim.lsp.config[M.name]
  end)
  if ok and resolved and type(resolved.cmd) == 'table' then
    return resolved.cmd --[[@as string[] ]], 'vim.lsp.config cmd'
  end
  local installed = require('mistral.install').installed_server()
  if installed then
    return { installed }, ':MistralInstall'
  end
  return { 'mistral-lsp' }, '$PATH'
end

---@type {key: string?, source: string?}?
local key_cache = nil

function M.clear_key_cache()
  key_cache = nil
end

--- Runs `api_key_cmd` (synchronously, 10 s at most).
---@param cmd string|string[]
---@return string? key
---@return string? err
local function run_key_cmd(cmd)
  local argv = type(cmd) == 'table' and cmd or { vim.o.shell, vim.o.shellcmdflag, cmd }
  local ok, proc = pcall(vim.system, argv, { text = true })
  if not ok then
    return nil, tostring(proc)
  end
  local res = proc:wait(10000)
  if res.code ~= 0 then
    return nil, ('exited with code %d: %s'):format(res.code, vim.trim(res.stderr or ''))
  end
  local key = vim.trim(res.stdout or '')
  if key == '' then
    return nil, 'printed nothing'
  end
  return key
end

--- The API key and where it came from. `api_key_cmd` wins over env `MISTRAL_API_KEY`; when the
--- command fails, the environment is used and `err` says why the command failed.
---@param opts? {fresh: boolean}
---@return string? key
---@return string? source "api_key_cmd" | "env MISTRAL_API_KEY"
---@return string? err
function M.api_key(opts)
  if key_cache and not (opts and opts.fresh) then
    return key_cache.key, key_cache.source
  end
  local err ---@type string?
  local cmd = M.options.api_key_cmd
  if cmd and cmd ~= '' then
    local key, cmd_err = run_key_cmd(cmd)
    if key then
      key_cache = { key = key, source = 'api_key_cmd' }
      return key, 'api_key_cmd'
    end
    err = ('api_key_cmd failed (%s)'):format(cmd_err)
  end
  local env = vim.env.MISTRAL_API_KEY
  if env and env ~= '' then
    key_cache = { key = env, source = 'env MISTRAL_API_KEY' }
    return env, 'env MISTRAL_API_KEY', err
  end
  return nil, nil, err
end

--- `settings.mistral` from the options (`review.on_save` becomes `reviewOnSave`).
---@return table
function M.server_settings()
  local s = vim.deepcopy(M.options.settings or {})
  if s.reviewOnSave == nil and M.options.review and M.options.review.on_save then
    s.reviewOnSave = M.options.review.on_save
  end
  return s
end

--- How to install the server, in the words of every message that says it is missing: it is
--- not on PyPI, so `:MistralInstall` installs it from the checkout the plugin lives in.
M.install_hint =
  ':MistralInstall (installs it from this checkout), or pipx install <your mistral-lsp checkout>'

---@type table<string, true>
local missing_said = {}

--- Forgets which missing server commands were reported (`:Mistral restart` says it again).
function M.clear_missing()
  missing_said = {}
end

--- Whether the server command is executable; when it is not, says so once, as one line (no
--- traceback, no hit-enter prompt: the message is shown after the FileType autocmd ends).
---@return boolean
function M.server_found()
  local exe = M.server_cmd()[1]
  if type(exe) == 'string' and vim.fn.executable(exe) == 1 then
    return true
  end
  exe = tostring(exe)
  if not missing_said[exe] then
    missing_said[exe] = true
    vim.schedule(function()
      vim.notify(
        require('mistral.ui').one_line(
          ('mistral: %s not found; install it with :MistralInstall; %s'):format(
            exe,
            ':checkhealth mistral'
          )
        ),
        vim.log.levels.ERROR
      )
    end)
  end
  return false
end

--- `root_dir` of the config: the root markers of `lsp/mistral.lua` (or yours), and no client at
--- all when the server command is missing (instead of a failed start and its traceback).
---@param bufnr integer
---@param on_dir fun(root_dir?: string)
local function root_dir(bufnr, on_dir)
  if not M.server_found() then
    return
  end
  local markers = vim.tbl_get(vim.lsp.config[M.name] or {}, 'root_markers')
  on_dir(markers and vim.fs.root(bufnr, markers) or nil)
end

--- Starts the server with the API key in its environment (resolved when the server starts, so
--- `api_key_cmd` never slows down Neovim's start-up).
---@param dispatchers vim.lsp.rpc.Dispatchers
---@param config vim.lsp.ClientConfig
---@return vim.lsp.rpc.PublicClient
local function start_server(dispatchers, config)
  local argv = M.server_cmd()
  local env = vim.deepcopy(config.cmd_env or {})
  local key, _, err = M.api_key()
  if err then
    vim.notify('mistral: ' .. err, vim.log.levels.WARN)
  end
  if key then
    env.MISTRAL_API_KEY = key
  end
  return vim.lsp.rpc.start(argv, dispatchers, {
    cwd = config.cmd_cwd,
    env = env,
    detached = config.detached,
  })
end

--- The `vim.lsp.Config` that `setup()` passes to `vim.lsp.config('mistral', ...)`.
---@param handlers table<string, lsp.Handler>
---@return vim.lsp.Config
function M.lsp_config(handlers)
  ---@type vim.lsp.Config
  local cfg = {
    cmd = start_server,
    root_dir = root_dir,
    handlers = handlers,
    -- The plugin renders `mistral/stream` and waits for each command's result: ask for both
    -- (docs/protocol.md, "Two modes"). Plain `vim.lsp` without the plugin does not.
    capabilities = {
      experimental = { mistral = { streamNotifications = true, commandsResolveOnCompletion = true } },
    },
  }
  local settings = M.server_settings()
  -- An empty Lua table would be sent as a JSON array: leave the section out instead (null).
  if next(settings) ~= nil then
    cfg.settings = { mistral = settings }
    -- Also as initializationOptions: the server has them before the first didOpen/didSave,
    -- instead of after its workspace/configuration round trip.
    cfg.init_options = settings
  end
  if M.options.filetypes then
    cfg.filetypes = M.options.filetypes
  end
  return cfg
end

return M
