--- `:checkhealth mistral`: Neovim version, the server and its version, the API key (never
--- printed), and whether a client is attached to the buffer you came from.
local M = {}

local config = require('mistral.config')

local function check_neovim()
  vim.health.start('Neovim')
  local v = vim.version()
  local s = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    vim.health.ok('Neovim ' .. s .. ' (>= 0.11 required)')
  else
    vim.health.error(
      'Neovim ' .. s .. ' is too old',
      { 'mistral.nvim needs Neovim >= 0.11 (vim.lsp.config, vim.lsp.enable)' }
    )
  end
end

local function check_server()
  vim.health.start('mistral-lsp server')
  local argv, source = config.server_cmd()
  local install = require('mistral.install')
  local exe = vim.fn.exepath(argv[1])
  if exe == '' then
    local advice = {
      'Run :MistralInstall: it installs the server from the checkout this plugin lives in, into '
        .. install.venv_dir()
        .. ' (it is not on PyPI); or '
        .. config.install_hint,
      "Or point the plugin at one: require('mistral').setup({ cmd = { '/path/to/mistral-lsp' } })",
    }
    if install.running() then
      table.insert(advice, 1, ':MistralInstall is running: see its messages')
    end
    vim.health.error(('server command %q not found (from %s)'):format(argv[1], source), advice)
    return
  end
  local cmd = vim.list_extend(vim.deepcopy(argv), { '--version' })
  cmd[1] = exe
  local ok, proc = pcall(vim.system, cmd, { text = true })
  local res = ok and proc:wait(10000) or nil
  if res and res.code == 0 then
    vim.health.ok(
      ('found %s (from %s): %s'):format(
        exe,
        source,
        vim.trim(res.stdout ~= '' and res.stdout or res.stderr or '')
      )
    )
  else
    vim.health.error(
      ('%s --version failed: %s'):format(
        table.concat(argv, ' '),
        res and vim.trim(res.stderr or '') or tostring(proc)
      ),
      {
        'Run the command in a shell to see why; reinstall the server with :MistralInstall',
      }
    )
  end
  if source ~= ':MistralInstall' and install.installed_server() then
    vim.health.info(
      ('%s wins over the server :MistralInstall put in %s'):format(source, install.venv_dir())
    )
  end
end

local function check_key()
  vim.health.start('API key')
  local key, source, err = config.api_key({ fresh = true })
  if err then
    vim.health.warn(err, { 'Check the command in setup({ api_key_cmd = ... }) in a shell' })
  end
  if key then
    vim.health.ok(('API key present (from %s; not shown)'):format(source))
  else
    vim.health.error('no API key', {
      'export MISTRAL_API_KEY=... before starting Neovim',
      "or require('mistral').setup({ api_key_cmd = 'pass show mistral' })",
      'api_key_cmd wins over MISTRAL_API_KEY when both are set',
    })
  end
  local settings = vim.tbl_get(vim.lsp.config[config.name] or {}, 'settings', 'mistral') or {}
  if settings.apiKey then
    vim.health.warn(
      'settings.mistral.apiKey is set: prefer api_key_cmd or MISTRAL_API_KEY (kept out of config files)'
    )
  end
  if vim.env.MISTRAL_BASE_URL and vim.env.MISTRAL_BASE_URL ~= '' then
    vim.health.info('MISTRAL_BASE_URL = ' .. vim.env.MISTRAL_BASE_URL)
  end
end

--- The buffer :checkhealth was run from (it opens its own buffer first).
---@return integer?
local function origin_buffer()
  local alt = vim.fn.bufnr('#')
  if alt > 0 and vim.bo[alt].buftype == '' then
    return alt
  end
  local cur = vim.api.nvim_get_current_buf()
  if vim.bo[cur].buftype == '' and vim.api.nvim_buf_get_name(cur) ~= 'health://' then
    return cur
  end
  return nil
end

local function check_client()
  vim.health.start('LSP client')
  local enabled = vim.lsp.is_enabled(config.name)
  if enabled then
    vim.health.ok(
      "vim.lsp.enable('mistral') is on" .. (config.did_setup and ' (via setup())' or '')
    )
  else
    vim.health.warn(
      'mistral is not enabled',
      { "call require('mistral').setup() or vim.lsp.enable('mistral')" }
    )
  end
  local clients = vim.lsp.get_clients({ name = config.name })
  for _, c in ipairs(clients) do
    local version = vim.tbl_get(c, 'server_info', 'version') or '?'
    local bufs = vim.tbl_keys(c.attached_buffers)
    table.sort(bufs)
    vim.health.info(
      ('client %d: mistral-lsp %s, root %s, buffers %s'):format(
        c.id,
        version,
        c.root_dir or '-',
        table.concat(bufs, ', ')
      )
    )
  end
  local buf = origin_buffer()
  if not buf then
    vim.health.info(
      'run :checkhealth mistral from a source buffer to check that a client is attached to it'
    )
    return
  end
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':~:.')
  local attached = vim.lsp.get_clients({ name = config.name, bufnr = buf })[1]
  if attached then
    vim.health.ok(('client %d is attached to buffer %d (%s)'):format(attached.id, buf, name))
    return
  end
  local ft = vim.bo[buf].filetype
  local fts = (vim.lsp.config[config.name] or {}).filetypes
  if fts and not vim.tbl_contains(fts, ft) then
    vim.health.warn(
      ('no client attached to buffer %d (%s): filetype %q is not in filetypes'):format(
        buf,
        name,
        ft
      ),
      {
        "add it: require('mistral').setup({ filetypes = { ... } })",
      }
    )
  else
    vim.health.warn(('no client attached to buffer %d (%s)'):format(buf, name), {
      'see :Mistral log for the server output',
    })
  end
end

function M.check()
  check_neovim()
  check_server()
  check_key()
  check_client()
end

return M
