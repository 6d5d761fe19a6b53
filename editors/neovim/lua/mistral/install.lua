--- `:MistralInstall` / `require('mistral').install()`: installs the server into a virtual
--- environment of its own, `stdpath('data')/mistral/venv`, from the repository checkout the
--- plugin lives in (editors/neovim of mistral-lsp; the package is not on PyPI yet). The plugin
--- then finds it there without any change to $PATH (`config.server_cmd()`: a configured `cmd`,
--- else this venv, else `mistral-lsp` on $PATH).
---
--- Everything runs through `vim.system` callbacks, so Neovim stays usable while pip works;
--- progress and errors go through `vim.notify`, pip's whole output to a log file, and the end
--- fires `User MistralInstalled` with `data = { ok, server?, version?, error? }`.
local M = {}

local MIN_PYTHON = { 3, 10 }
local is_windows = vim.fn.has('win32') == 1

---@param msg string
---@param level? integer
local function notify(msg, level)
  vim.notify('mistral: ' .. msg, level or vim.log.levels.INFO)
end

--- The virtual environment `:MistralInstall` creates.
---@return string
function M.venv_dir()
  return vim.fs.joinpath(vim.fn.stdpath('data') --[[@as string]], 'mistral', 'venv')
end

---@param name string
---@return string
local function venv_exe(name)
  if is_windows then
    return vim.fs.joinpath(M.venv_dir(), 'Scripts', name .. '.exe')
  end
  return vim.fs.joinpath(M.venv_dir(), 'bin', name)
end

--- The server `:MistralInstall` installed, when it is there.
---@return string?
function M.installed_server()
  local exe = venv_exe('mistral-lsp')
  return vim.fn.executable(exe) == 1 and exe or nil
end

--- Where pip's output of the last install goes.
---@return string
function M.log_path()
  return vim.fs.joinpath(vim.fn.stdpath('log') --[[@as string]], 'mistral-install.log')
end

--- The plugin's directory (editors/neovim), symlinks resolved (a `pack/*/start` link).
---@return string
function M.plugin_dir()
  local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p')
  local dir = vim.fs.dirname(vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(here))))
  return vim.uv.fs_realpath(dir) or dir
end

--- The mistral-lsp checkout the plugin lives in (two levels above editors/neovim).
---@return string? root
---@return string? err
function M.repo_root()
  local plugin = M.plugin_dir()
  local root = vim.fs.normalize(vim.fs.joinpath(plugin, '..', '..'))
  root = vim.uv.fs_realpath(root) or root
  local pyproject = vim.fs.joinpath(root, 'pyproject.toml')
  local ok, lines = pcall(vim.fn.readfile, pyproject, '', 40)
  local named = ok
    and vim.iter(lines):any(function(line)
      return line:match('^name%s*=%s*"mistral%-lsp"') ~= nil
    end)
  if not named or vim.fn.isdirectory(vim.fs.joinpath(root, 'mistral_lsp')) == 0 then
    return nil,
      (
        'the plugin at %s is not inside a mistral-lsp checkout '
        .. '(no mistral-lsp pyproject.toml at %s): '
        .. 'clone the repository and use its editors/neovim, or install the server yourself '
        .. '(pipx install <your checkout>) and it is found on $PATH'
      ):format(plugin, root)
  end
  return root
end

---@param cmd string[]
---@param on_done fun(res: vim.SystemCompleted)
local function run(cmd, on_done)
  local ok, err = pcall(vim.system, cmd, { text = true }, function(res)
    vim.schedule(function()
      on_done(res)
    end)
  end)
  if not ok then
    vim.schedule(function()
      on_done({ code = -1, signal = 0, stdout = '', stderr = tostring(err) })
    end)
  end
end

--- The last non-empty line of a command's output: the reason pip or venv give.
---@param res vim.SystemCompleted
---@return string
local function last_line(res)
  local lines = vim.split(vim.trim((res.stderr or '') .. '\n' .. (res.stdout or '')), '\n')
  for i = #lines, 1, -1 do
    local line = vim.trim(lines[i])
    if line ~= '' and not line:match('^%[notice%]') then
      return line
    end
  end
  return ('exit code %d'):format(res.code)
end

--- The first Python >= 3.10 among `candidates`, asked in turn.
---@param candidates string[]
---@param on_found fun(python?: string, version?: string, tried?: string[])
local function find_python(candidates, on_found)
  local tried = {} ---@type string[]
  local function try(i)
    local name = candidates[i]
    if not name then
      return on_found(nil, nil, tried)
    end
    local exe = vim.fn.exepath(name)
    if exe == '' then
      tried[#tried + 1] = name .. ' (not found)'
      return try(i + 1)
    end
    run({ exe, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])' }, function(res)
      local major, minor = vim.trim(res.stdout or ''):match('^(%d+)%.(%d+)$')
      major, minor = tonumber(major), tonumber(minor)
      if
        res.code == 0
        and major
        and (major > MIN_PYTHON[1] or (major == MIN_PYTHON[1] and minor >= MIN_PYTHON[2]))
      then
        return on_found(exe, ('%d.%d'):format(major, minor))
      end
      local found = major and (major .. '.' .. minor) or last_line(res)
      tried[#tried + 1] = ('%s (%s)'):format(exe, found)
      try(i + 1)
    end)
  end
  try(1)
end

---@type boolean
local running = false

--- Whether an install is under way.
function M.running()
  return running
end

---@param ok boolean
---@param data table
local function finish(ok, data)
  running = false
  data.ok = ok
  vim.api.nvim_exec_autocmds(
    'User',
    { pattern = 'MistralInstalled', data = data, modeline = false }
  )
end

---@param err string
local function fail(err)
  notify('install failed: ' .. err, vim.log.levels.ERROR)
  finish(false, { error = err })
end

---@param res vim.SystemCompleted
---@param cmd string[]
local function write_log(res, cmd)
  local text = ('$ %s\n%s\n%s'):format(table.concat(cmd, ' '), res.stdout or '', res.stderr or '')
  pcall(vim.fn.mkdir, vim.fs.dirname(M.log_path()), 'p')
  pcall(vim.fn.writefile, vim.split(text, '\n'), M.log_path())
end

--- After the install: the server's version, then every buffer gets its client.
---@param server string
local function installed(server)
  run({ server, '--version' }, function(res)
    if res.code ~= 0 then
      return fail(('%s --version failed: %s'):format(server, last_line(res)))
    end
    local version = vim.trim(res.stdout ~= '' and res.stdout or res.stderr or '')
    notify(('installed %s (%s)'):format(version, server))
    local config = require('mistral.config')
    config.clear_missing()
    if #vim.lsp.get_clients({ name = config.name, _uninitialized = true }) > 0 then
      require('mistral').restart()
    else
      -- Buffers opened while the server was missing have no client: start one now.
      require('mistral').attach_open_buffers()
    end
    finish(true, { server = server, version = version })
  end)
end

---@param python string
---@param root string
---@param pip_args string[]
local function install_into_venv(python, root, pip_args)
  local venv_python = venv_exe('python')
  local function pip_install()
    notify(('installing the server from %s (pip; output in %s)…'):format(root, M.log_path()))
    local cmd = { venv_python, '-m', 'pip', 'install', '--upgrade', '--disable-pip-version-check' }
    vim.list_extend(cmd, pip_args)
    cmd[#cmd + 1] = root
    run(cmd, function(res)
      write_log(res, cmd)
      if res.code ~= 0 then
        return fail(('pip failed: %s (the whole output: %s)'):format(last_line(res), M.log_path()))
      end
      local server = M.installed_server()
      if not server then
        return fail(('pip succeeded but %s is missing'):format(venv_exe('mistral-lsp')))
      end
      installed(server)
    end)
  end
  if vim.fn.executable(venv_python) == 1 then
    return pip_install()
  end
  notify(('creating %s with %s…'):format(M.venv_dir(), python))
  local cmd = { python, '-m', 'venv', '--clear', M.venv_dir() }
  run(cmd, function(res)
    if res.code ~= 0 then
      write_log(res, cmd)
      return fail(
        ('%s -m venv failed: %s (on Debian/Ubuntu: apt install python3-venv)'):format(
          python,
          last_line(res)
        )
      )
    end
    pip_install()
  end)
end

---@class mistral.InstallOptions
---@field python? string The Python (>= 3.10) that makes the venv (default: python3 on $PATH).
---@field pip_args? string[] Extra `pip install` arguments (`--index-url`, `--find-links`, …).
---@field wait? boolean Return only when the install ends (for `nvim --headless` scripts).

--- Installs (or updates) the server. Returns at once unless `opts.wait`; see the module doc for
--- how it ends.
---@param opts? mistral.InstallOptions Overrides `setup({ install = ... })`.
function M.install(opts)
  M.start(opts)
  if opts and opts.wait then
    vim.wait(30 * 60 * 1000, function()
      return not running
    end, 50)
  end
end

---@param opts? mistral.InstallOptions
function M.start(opts)
  if running then
    notify('an install is already running', vim.log.levels.WARN)
    return
  end
  local root, err = M.repo_root()
  if not root then
    return fail(err --[[@as string]])
  end
  local defaults = require('mistral.config').options.install or {}
  local configured = vim.tbl_extend('force', defaults, opts or {})
  running = true
  local candidates = configured.python and { configured.python }
    or { 'python3', 'python3.13', 'python3.12', 'python3.11', 'python3.10', 'python' }
  find_python(candidates, function(python, _, tried)
    if not python then
      return fail(
        ('no Python >= 3.10 found (tried %s): install one, or set it with '
          .. "setup({ install = { python = '/path/to/python3' } })"):format(
          table.concat(tried or {}, ', ')
        )
      )
    end
    install_into_venv(python, root, configured.pip_args or {})
  end)
end

return M
