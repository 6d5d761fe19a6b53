--- mistral.nvim: Mistral's models as code actions in Neovim, through the mistral-lsp server.
---
--- `require('mistral').setup(opts)` layers the plugin over `lsp/mistral.lua`: the server command,
--- settings, the API key (env of the server process), handlers for `mistral/stream` and
--- `window/showDocument`, the code-action command interceptors, `<Plug>` maps and autocmds.
local M = {}

local config = require('mistral.config')

--- Whether this Neovim is new enough; says so once when it is not.
---@return boolean
function M.check_version()
  if vim.fn.has('nvim-0.11') == 1 then
    return true
  end
  local v = vim.version()
  vim.notify_once(
    ('mistral.nvim requires Neovim >= 0.11 (vim.lsp.config / vim.lsp.enable); this is %d.%d.%d'):format(
      v.major,
      v.minor,
      v.patch
    ),
    vim.log.levels.ERROR
  )
  return false
end

---@return table<string, lsp.Handler>
local function handlers()
  local ui = require('mistral.ui')
  local runs = require('mistral.runs')
  return {
    [require('mistral.protocol').stream_notification] = runs.on_stream,
    ['window/showDocument'] = ui.show_document_handler,
    ['window/showMessage'] = ui.show_message_handler,
  }
end

--- Configures the plugin and enables the server (`vim.lsp.enable('mistral')`).
---@param opts? mistral.Options
function M.setup(opts)
  if not M.check_version() then
    return
  end
  config.set(opts)
  config.clear_key_cache()
  local s = config.options.settings or {}
  if s.apiKey then
    vim.notify(
      'mistral: settings.apiKey is sent to the server in clear text; prefer api_key_cmd or env MISTRAL_API_KEY',
      vim.log.levels.WARN
    )
  end
  local h = handlers()
  vim.lsp.config(config.name, config.lsp_config(h))
  -- Clients already running (started from lsp/mistral.lua before setup) get the handlers too.
  for _, client in ipairs(vim.lsp.get_clients({ name = config.name, _uninitialized = true })) do
    client.handlers = vim.tbl_extend('force', client.handlers or {}, h)
  end

  local commands = require('mistral.commands')
  commands.intercept_code_actions()
  commands.plug_maps()
  commands.user_maps(config.options.keymaps or false)
  require('mistral.completion').setup()

  local group = vim.api.nvim_create_augroup('mistral', { clear = true })
  -- Status lines showing vim.lsp.status() or mistral.status() update as runs progress and end:
  -- every window's (`!`), since the run's window is often no longer the current one (the test
  -- file opens in a split).
  vim.api.nvim_create_autocmd('LspProgress', {
    group = group,
    callback = function(ev)
      require('mistral.runs').on_progress(ev)
      vim.cmd.redrawstatus({ bang = true })
    end,
  })
  vim.api.nvim_create_autocmd('User', {
    group = group,
    pattern = 'MistralRequestFinished',
    callback = function()
      vim.cmd.redrawstatus({ bang = true })
    end,
  })
  vim.api.nvim_create_autocmd('LspDetach', {
    group = group,
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data.client_id)
      if client and client.name == config.name and client:is_stopped() then
        require('mistral.runs').drop_client(client.id)
        require('mistral.preview').drop(client.id)
      end
    end,
  })
  -- `:bd`, `:bw`: the buffer's runs stop (and their HTTP streams close) instead of streaming an
  -- answer nobody will see. Not on BufUnload, which `:e!` (a reload) fires too; an unload that
  -- keeps the buffer listed is a didClose, on which the server stops the runs itself.
  vim.api.nvim_create_autocmd({ 'BufDelete', 'BufWipeout' }, {
    group = group,
    callback = function(ev)
      require('mistral.runs').cancel_buffer(ev.buf)
    end,
  })
  vim.api.nvim_create_autocmd('BufUnload', {
    group = group,
    callback = function(ev)
      local preview = require('mistral.preview')
      if preview.count(ev.buf) > 0 then
        preview.reject(ev.buf, true)
      end
    end,
  })

  config.did_setup = true
  if config.options.enable ~= false then
    vim.lsp.enable(config.name)
  end
end

--- Runs `setup()` with defaults when the user has not called it (`:Mistral` without setup).
function M.ensure_setup()
  if not config.did_setup then
    M.setup({})
  end
end

---@param opts? mistral.RunOpts
function M.review(opts)
  return require('mistral.actions').review(opts)
end

---@param opts? mistral.RunOpts
function M.explain(opts)
  return require('mistral.actions').explain(opts)
end

--- Asks `opts.question` (else asks for it) about the code; a follow-up while the float is open.
---@param opts? mistral.RunOpts
function M.ask(opts)
  return require('mistral.actions').ask(opts)
end

---@param opts? mistral.RunOpts
function M.fix(opts)
  return require('mistral.actions').fix(opts)
end

---@param opts? mistral.RunOpts
function M.tests(opts)
  return require('mistral.actions').tests(opts)
end

--- Accepts the previewed fix under the cursor (`all`: every fix in the buffer).
---@param all? boolean
function M.accept(all)
  require('mistral.preview').accept(0, all)
end

--- Rejects the previewed fix under the cursor (`all`: every fix in the buffer).
---@param all? boolean
function M.reject(all)
  require('mistral.preview').reject(0, all)
end

--- Statusline text of the running requests (e.g. `Mistral fix: writing… 42 characters`), or ''.
--- `vim.lsp.status()` and fidget.nvim show the same progress without this.
---@return string
function M.status()
  local runs = package.loaded['mistral.runs']
  if not runs then
    return ''
  end
  local parts = {} ---@type string[]
  for _, run in pairs(runs.active) do
    parts[#parts + 1] = ('Mistral %s: %s'):format(run.action, run.status)
  end
  table.sort(parts)
  return table.concat(parts, ' · ')
end

--- Moves the cursor into the explanation float; false when none is open.
---@return boolean
function M.enter_explain()
  return require('mistral.float').enter_explain()
end

--- Cancels every running request (`mistral.cancel`); nothing of them is applied.
function M.stop()
  local n = require('mistral.runs').cancel()
  require('mistral.ui').notify(
    n > 0 and ('stopping %d request%s'):format(n, n == 1 and '' or 's') or 'stopping'
  )
end

--- Flips review on save for this session (`mistral.toggleReviewOnSave`).
function M.toggle_review()
  local runs = require('mistral.runs')
  local client = runs.client(vim.api.nvim_get_current_buf()) or runs.all_clients()[1]
  if not client then
    require('mistral.ui').notify('mistral-lsp is not running', vim.log.levels.ERROR)
    return
  end
  -- The server answers `{reviewOnSave}` and says "review on save is on/off" itself.
  local command = require('mistral.protocol').commands.toggleReviewOnSave
  runs.execute(client, command, nil, function(err, result)
    if not err and type(result) == 'table' then
      vim.g.mistral_review_on_save = result.reviewOnSave
    end
  end)
end

--- Opens the LSP log (where Neovim writes the server's stderr) in a split, at its end.
function M.log()
  vim.cmd.split(vim.fn.fnameescape(vim.lsp.get_log_path()))
  vim.cmd('normal! G')
end

--- Installs (or updates) the server from the checkout the plugin lives in, under
--- stdpath('data') (`:MistralInstall`; see lua/mistral/install.lua). Returns at once.
---@param opts? mistral.InstallOptions
function M.install(opts)
  require('mistral.install').install(opts)
end

--- Restarts mistral-lsp: stops its clients, then starts them again for the open buffers
--- (re-running `api_key_cmd`). Pending previews are dropped.
--- Starts the server for the loaded file buffers: what vim.lsp.enable() does for a FileType
--- (it only does it for open buffers once VimEnter has passed).
function M.attach_open_buffers()
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].buftype == '' then
      pcall(
        vim.api.nvim_exec_autocmds,
        'FileType',
        { group = 'nvim.lsp.enable', buffer = buf, modeline = false }
      )
    end
  end
end

function M.restart()
  config.clear_key_cache()
  config.clear_missing()
  local clients = vim.lsp.get_clients({ name = config.name, _uninitialized = true })
  require('mistral.preview').drop()
  for _, client in ipairs(clients) do
    require('mistral.runs').drop_client(client.id)
    client:stop()
  end
  local timer = assert(vim.uv.new_timer())
  local waited = 0
  timer:start(
    50,
    50,
    vim.schedule_wrap(function()
      waited = waited + 50
      local alive = vim.tbl_filter(function(c)
        return not c:is_stopped()
      end, clients)
      if #alive > 0 and waited < 3000 then
        return
      end
      for _, c in ipairs(alive) do
        c:stop(true)
      end
      timer:stop()
      timer:close()
      if not vim.lsp.is_enabled(config.name) then
        vim.lsp.enable(config.name)
      end
      M.attach_open_buffers()
      require('mistral.ui').notify('restarted mistral-lsp')
    end)
  )
end

return M
