--- Inline completion (Codestral fill-in-the-middle) as ghost text, for Neovim 0.11.
---
--- The server answers `textDocument/inlineCompletion` (debounce, cancelling older requests,
--- typing through, cache: all server-side); this module asks on `InsertEnter` and on each
--- change in insert mode, shows the answer with extmarks (the first line inline at the cursor,
--- the others as virtual lines below), accepts all of it, a word or a line, and dismisses it on
--- `<Esc>`, on a cursor move, or when typing goes on (the server then answers the rest of the
--- suggestion from memory when the typed text matches it).
---
--- On/off is the server setting `completion.enabled` (off by default: every pause costs an API
--- call); `toggle()` flips it for the running clients with `workspace/didChangeConfiguration`.
--- Neovim >= 0.12 can render the same request natively: `vim.lsp.inline_completion.enable()`.
local M = {}

M.ns = vim.api.nvim_create_namespace('mistral.completion')

---@class mistral.Ghost
---@field buf integer
---@field row integer 0-based
---@field col integer 0-based byte column of the cursor
---@field text string what would be inserted at the cursor
---@field mark integer

---@type mistral.Ghost?
M.ghost = nil

---@type table<integer, integer> client id -> id of the request in flight
local inflight = {}

local function clients(buf)
  return vim.lsp.get_clients({ name = require('mistral.config').name, bufnr = buf })
end

--- Whether completion is on (the `completion.enabled` setting the plugin sends).
---@return boolean
function M.enabled()
  local s = require('mistral.config').options.settings or {}
  return type(s.completion) == 'table' and s.completion.enabled == true
end

function M.clear()
  local g = M.ghost
  if g and vim.api.nvim_buf_is_valid(g.buf) then
    pcall(vim.api.nvim_buf_del_extmark, g.buf, M.ns, g.mark)
  end
  M.ghost = nil
end

---@param buf integer
---@param row integer
---@param col integer
---@param text string
local function show(buf, row, col, text)
  M.clear()
  local lines = vim.split(text, '\n', { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    virt_lines[#virt_lines + 1] = { { lines[i], 'MistralGhostText' } }
  end
  local mark = vim.api.nvim_buf_set_extmark(buf, M.ns, row, col, {
    virt_text = lines[1] ~= '' and { { lines[1], 'MistralGhostText' } } or nil,
    virt_text_pos = 'inline',
    virt_lines = #virt_lines > 0 and virt_lines or nil,
    hl_mode = 'combine',
  })
  M.ghost = { buf = buf, row = row, col = col, text = text, mark = mark }
end

--- The text to show for an item: its insertText without the rest of the line it replaces.
---@param item table lsp.InlineCompletionItem
---@param line string the cursor's line
---@param col integer 0-based byte column of the cursor
---@return string?
local function ghost_text(item, line, col)
  local text = type(item.insertText) == 'table' and item.insertText.value or item.insertText
  if type(text) ~= 'string' then
    return nil
  end
  local after = line:sub(col + 1)
  if after ~= '' and text:sub(-#after) == after then
    text = text:sub(1, #text - #after)
  end
  return text ~= '' and text or nil
end

--- Asks the server for a suggestion at the cursor (insert mode), replacing any in flight.
function M.request()
  local buf = vim.api.nvim_get_current_buf()
  M.clear()
  if not M.enabled() or vim.fn.mode():sub(1, 1) ~= 'i' then
    return
  end
  for _, client in ipairs(clients(buf)) do
    if inflight[client.id] then
      client:cancel_request(inflight[client.id])
      inflight[client.id] = nil
    end
    local params = vim.lsp.util.make_position_params(0, client.offset_encoding) --[[@as table]]
    params.context = { triggerKind = 2 } -- Automatic
    local cursor = vim.api.nvim_win_get_cursor(0)
    local sent = {} ---@type {id: integer?}
    local ok, id = client:request('textDocument/inlineCompletion', params, function(err, result)
      if inflight[client.id] == sent.id then
        inflight[client.id] = nil
      end
      if err or not result or not vim.api.nvim_buf_is_valid(buf) then
        return
      end
      -- Stale: the buffer or the cursor moved on since the request.
      local now = vim.api.nvim_win_get_cursor(0)
      if vim.api.nvim_get_current_buf() ~= buf or now[1] ~= cursor[1] or now[2] ~= cursor[2] then
        return
      end
      if vim.fn.mode():sub(1, 1) ~= 'i' then
        return
      end
      local items = result.items or result
      local item = items and items[1]
      if not item then
        return
      end
      local line = vim.api.nvim_buf_get_lines(buf, cursor[1] - 1, cursor[1], false)[1] or ''
      local text = ghost_text(item, line, cursor[2])
      if text then
        show(buf, cursor[1] - 1, cursor[2], text)
      end
    end, buf)
    if ok then
      sent.id = id
      inflight[client.id] = id
    end
  end
end

--- Inserts `text` at the ghost's position as one change, and puts the cursor after it.
---@param text string
local function insert(text)
  local g = assert(M.ghost)
  local lines = vim.split(text, '\n', { plain = true })
  M.clear()
  vim.api.nvim_buf_set_text(g.buf, g.row, g.col, g.row, g.col, lines)
  local row = g.row + #lines - 1
  local col = #lines == 1 and g.col + #lines[1] or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
end

--- Accepts the whole suggestion (or `part`: 'word' or 'line'). Returns false when none is
--- shown, so a mapping can fall back to its key.
---@param part? 'word'|'line'
---@return boolean
function M.accept(part)
  local g = M.ghost
  if not g or g.buf ~= vim.api.nvim_get_current_buf() then
    return false
  end
  local text = g.text
  if part == 'word' then
    text = text:match('^%s*[%w_]+') or text:match('^%s*[^%w_%s]+') or text:match('^%s+') or text
  elseif part == 'line' then
    text = text:match('^\n[^\n]*') or text:match('^[^\n]*')
  end
  insert(text)
  return true
end

--- Turns completion on or off for this session (the running servers and those started later).
---@param on? boolean default: flip
function M.toggle(on)
  local config = require('mistral.config')
  local s = config.options.settings or {}
  config.options.settings = s
  s.completion = type(s.completion) == 'table' and s.completion or {}
  if on == nil then
    on = not M.enabled()
  end
  s.completion.enabled = on
  for _, client in ipairs(vim.lsp.get_clients({ name = config.name })) do
    client.settings = client.settings or {}
    client.settings.mistral = vim.tbl_deep_extend('force', client.settings.mistral or {}, s)
    client:notify('workspace/didChangeConfiguration', { settings = client.settings })
  end
  vim.lsp.config(config.name, { settings = { mistral = s }, init_options = s })
  if not on then
    M.clear()
  end
  vim.g.mistral_completion = on
  require('mistral.ui').notify('inline completion ' .. (on and 'on' or 'off'))
end

--- `MistralGhostText` (unless yours is set): grey and italic in every terminal. Its own colours,
--- not a link to Comment, whose colour may exist only with 'termguicolors' (the default
--- colorscheme's Comment is invisible in 16/256-colour terminals). `ctermfg = 8` is "bright
--- black" (grey) in 16- and 256-colour palettes alike.
function M.set_highlight()
  vim.api.nvim_set_hl(
    0,
    'MistralGhostText',
    { default = true, fg = '#808080', ctermfg = 8, italic = true, cterm = { italic = true } }
  )
end

--- `<Plug>` maps and the autocmds; called by `require('mistral').setup()`.
function M.setup()
  local group = vim.api.nvim_create_augroup('mistral.completion', { clear = true })
  M.set_highlight()
  vim.api.nvim_create_autocmd('ColorScheme', { group = group, callback = M.set_highlight })
  vim.api.nvim_create_autocmd({ 'TextChangedI', 'TextChangedP' }, {
    group = group,
    callback = function()
      M.request()
    end,
  })
  vim.api.nvim_create_autocmd('InsertEnter', {
    group = group,
    -- InsertEnter runs just before insert mode starts (mode() still says normal).
    callback = function()
      vim.schedule(M.request)
    end,
  })
  vim.api.nvim_create_autocmd('CursorMovedI', {
    group = group,
    callback = function()
      local g = M.ghost
      local cursor = vim.api.nvim_win_get_cursor(0)
      if g and (cursor[1] - 1 ~= g.row or cursor[2] ~= g.col) then
        M.clear()
      end
    end,
  })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = group,
    callback = function()
      M.clear()
    end,
  })
  local function map(lhs, fn, desc)
    vim.keymap.set('i', lhs, fn, { desc = 'Mistral: ' .. desc })
  end
  map('<Plug>(mistral-completion-accept)', function()
    M.accept()
  end, 'accept the suggestion')
  map('<Plug>(mistral-completion-accept-word)', function()
    M.accept('word')
  end, 'accept a word of the suggestion')
  map('<Plug>(mistral-completion-accept-line)', function()
    M.accept('line')
  end, 'accept a line of the suggestion')
  map('<Plug>(mistral-completion-dismiss)', M.clear, 'dismiss the suggestion')
  vim.keymap.set({ 'n', 'i' }, '<Plug>(mistral-completion-toggle)', function()
    M.toggle()
  end, { desc = 'Mistral: toggle inline completion' })
end

return M
