--- Preview of a fix before anything changes: the `edit` of a `mistral.fix` run made with
--- `preview = true`, drawn as an inline diff with extmarks. The buffer itself is not touched
--- (so its version still matches the edit): lines the fix removes are highlighted `DiffDelete`,
--- lines it adds are virtual lines highlighted `DiffAdd`, and a banner names the keys.
--- Accepting asks the server (`mistral.acceptFix`) to apply it as one versioned edit; the server
--- refuses a stale preview and says why. Rejecting sends `mistral.rejectFix`.
--- A result with `hunks` (every server that has them) is shown hunk by hunk by mistral/hunks.lua,
--- which the functions here defer to; the whole-edit preview is kept for a server without them.
local M = {}

local config = require('mistral.config')
local protocol = require('mistral.protocol')
local runs = require('mistral.runs')
local ui = require('mistral.ui')
-- The highlights and the keys as typed are those of the hunk-by-hunk preview.
local hunk_marks = require('mistral.hunk_marks')
local setup_highlights, show_key = hunk_marks.setup_highlights, hunk_marks.show_key

M.ns = vim.api.nvim_create_namespace('mistral.preview')

---@class mistral.Preview
---@field id string Run id of the fix.
---@field bufnr integer
---@field client_id integer
---@field marks integer[] Extmark ids (first one anchors the banner).
---@field first integer First buffer row (0-based) touched.
---@field last integer Last buffer row (0-based) touched.
---@field hunks integer

---@type table<integer, table<string, mistral.Preview>>
M.pending = {}

--- TextEdits of a WorkspaceEdit for one URI.
---@param edit lsp.WorkspaceEdit
---@param uri string
---@return lsp.TextEdit[]
local function text_edits_for(edit, uri)
  local out = {} ---@type lsp.TextEdit[]
  local fname = vim.uri_to_fname(uri)
  local function same(u)
    return u == uri or vim.uri_to_fname(u) == fname
  end
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.textDocument and same(change.textDocument.uri) then
      vim.list_extend(out, change.edits or {})
    end
  end
  for u, edits in pairs(edit.changes or {}) do
    if same(u) then
      vim.list_extend(out, edits)
    end
  end
  return out
end

--- Lines of the buffer after the edits (computed in a scratch buffer).
---@param bufnr integer
---@param edits lsp.TextEdit[]
---@param encoding string
---@return string[]
local function apply_to_copy(bufnr, edits, encoding)
  local scratch = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(scratch, 0, -1, false, vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
  vim.bo[scratch].eol = vim.bo[bufnr].eol
  vim.bo[scratch].fixeol = vim.bo[bufnr].fixeol
  vim.lsp.util.apply_text_edits(edits, scratch, encoding)
  local lines = vim.api.nvim_buf_get_lines(scratch, 0, -1, false)
  vim.api.nvim_buf_delete(scratch, { force = true })
  return lines
end

---@param lines string[]
---@return string
local function join(lines)
  return #lines == 0 and '' or table.concat(lines, '\n') .. '\n'
end

---@param bufnr integer
local function set_keys(bufnr)
  local keys = config.options.preview_keys
  local function map(lhs, fn, desc)
    if lhs and lhs ~= '' then
      vim.keymap.set('n', lhs, fn, { buffer = bufnr, nowait = true, desc = desc })
    end
  end
  map(keys.accept, function()
    M.accept(bufnr, false)
  end, 'Mistral: accept the fix under the cursor')
  map(keys.reject, function()
    M.reject(bufnr, false)
  end, 'Mistral: reject the fix under the cursor')
  map(keys.accept_all, function()
    M.accept(bufnr, true)
  end, 'Mistral: accept every fix in this buffer')
  map(keys.reject_all, function()
    M.reject(bufnr, true)
  end, 'Mistral: reject every fix in this buffer')
end

---@param bufnr integer
local function del_keys(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  for _, lhs in pairs(config.options.preview_keys) do
    if lhs and lhs ~= '' then
      pcall(vim.keymap.del, 'n', lhs, { buffer = bufnr })
    end
  end
end

---@return string
local function banner_text()
  local k = config.options.preview_keys
  return (' Mistral fix: %s accept · %s reject · %s accept all · %s reject all '):format(
    show_key(k.accept),
    show_key(k.reject),
    show_key(k.accept_all),
    show_key(k.reject_all)
  )
end

--- Removes a preview's marks (and the keys when it was the last one of the buffer).
---@param p mistral.Preview
local function clear(p)
  local list = M.pending[p.bufnr]
  if list then
    list[p.id] = nil
    if next(list) == nil then
      M.pending[p.bufnr] = nil
      del_keys(p.bufnr)
    end
  end
  if vim.api.nvim_buf_is_valid(p.bufnr) then
    for _, id in ipairs(p.marks) do
      pcall(vim.api.nvim_buf_del_extmark, p.bufnr, M.ns, id)
    end
  end
end

--- Draws the preview of a fix result. Returns false when the edit changes nothing here.
---@param run mistral.Run
---@param edit lsp.WorkspaceEdit
---@param explanation? string The model's one-line explanation, shown in the banner.
---@param hunks? mistral.protocol.Hunk[] The result's hunks: shown one by one, in every file.
---@return boolean
function M.show(run, edit, explanation, hunks)
  if type(hunks) == 'table' and #hunks > 0 then
    return require('mistral.hunks').show(run, hunks, explanation)
  end
  setup_highlights()
  local bufnr = run.bufnr
  local client = vim.lsp.get_client_by_id(run.client_id)
  if not client or not vim.api.nvim_buf_is_valid(bufnr) then
    return false
  end
  local edits = text_edits_for(edit, run.uri)
  if #edits == 0 then
    return false
  end
  local old = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local new = apply_to_copy(bufnr, edits, client.offset_encoding)
  local diff = vim.text.diff or vim.diff -- vim.text.diff from 0.12 on
  local hunks = diff(join(old), join(new), { result_type = 'indices', algorithm = 'histogram' })
  ---@cast hunks integer[][]
  if #hunks == 0 then
    return false
  end
  local win = vim.fn.bufwinid(bufnr)
  local width = math.max(20, vim.api.nvim_win_get_width(win ~= -1 and win or 0) - 4)
  ---@type mistral.Preview
  local p = {
    id = run.id,
    bufnr = bufnr,
    client_id = client.id,
    marks = {},
    first = math.huge,
    last = -1,
    hunks = #hunks,
  }
  for _, h in ipairs(hunks) do
    local a_start, a_count, b_start, b_count = h[1], h[2], h[3], h[4]
    for i = a_start, a_start + a_count - 1 do
      p.marks[#p.marks + 1] = vim.api.nvim_buf_set_extmark(bufnr, M.ns, i - 1, 0, {
        line_hl_group = 'MistralPreviewDelete',
        sign_text = '-',
        sign_hl_group = 'MistralPreviewDelete',
        priority = 200,
      })
      p.first = math.min(p.first, i - 1)
      p.last = math.max(p.last, i - 1)
    end
    if b_count > 0 then
      local virt = {} ---@type [string, string][][]
      for j = b_start, b_start + b_count - 1 do
        local text = new[j]:gsub('\t', string.rep(' ', vim.bo[bufnr].tabstop))
        local pad = math.max(0, width - vim.fn.strdisplaywidth(text))
        virt[#virt + 1] = { { text .. string.rep(' ', pad), 'MistralPreviewAdd' } }
      end
      -- Added lines go after the removed ones, or after line `a_start` for a pure insertion.
      local anchor = a_count > 0 and (a_start + a_count - 2) or (a_start - 1)
      local above = anchor < 0
      anchor = math.max(anchor, 0)
      p.marks[#p.marks + 1] = vim.api.nvim_buf_set_extmark(bufnr, M.ns, anchor, 0, {
        virt_lines = virt,
        virt_lines_above = above,
        priority = 200,
      })
      p.first = math.min(p.first, anchor)
      p.last = math.max(p.last, anchor)
    end
  end
  -- The banner sits above the first touched line; `table.insert(…, 1)` keeps it first in marks.
  -- Its first line says what the fix does, when the model said so.
  local banner = { { { banner_text(), 'MistralPreviewBanner' } } }
  if type(explanation) == 'string' and explanation ~= '' then
    table.insert(banner, 1, { { ' ' .. explanation .. ' ', 'MistralPreviewBanner' } })
  end
  table.insert(
    p.marks,
    1,
    vim.api.nvim_buf_set_extmark(bufnr, M.ns, p.first, 0, {
      virt_lines = banner,
      virt_lines_above = true,
      priority = 200,
      -- Stays on its line when that line is replaced (`rows_of` counts from it).
      right_gravity = false,
    })
  )
  M.pending[bufnr] = M.pending[bufnr] or {}
  M.pending[bufnr][p.id] = p
  set_keys(bufnr)
  if p.first == 0 then
    hunk_marks.reveal_top_banner(bufnr)
  end
  local echo = type(explanation) == 'string' and explanation ~= '' and (explanation .. ' —') or nil
  vim.api.nvim_echo({ { (echo and (' ' .. echo) or '') .. banner_text(), 'MistralPreviewBanner' } }, false, {})
  return true
end

--- Rows (0-based, first and last) a preview covers now: they move with edits above it.
---@param p mistral.Preview
---@return integer first, integer last
local function rows_of(p)
  local m = vim.api.nvim_buf_get_extmark_by_id(p.bufnr, M.ns, p.marks[1], {})
  if m[1] then
    return m[1], m[1] + (p.last - p.first)
  end
  return p.first, p.last
end

--- The preview whose lines hold the cursor, in `bufnr`: never a nearby one, which may be off
--- screen.
---@param bufnr integer
---@return mistral.Preview?
local function at_cursor(bufnr)
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  for _, p in pairs(M.pending[bufnr] or {}) do
    local first, last = rows_of(p)
    if first <= row and row <= last then
      return p
    end
  end
  return nil
end

--- Says that the cursor is on no fix, and where the fixes are.
---@param bufnr integer
---@param verb string
local function say_none_under_cursor(bufnr, verb)
  local lines = {} ---@type integer[]
  for _, p in pairs(M.pending[bufnr] or {}) do
    lines[#lines + 1] = rows_of(p) + 1
  end
  ui.say_none_at_cursor('fix', lines, verb)
end

---@param bufnr integer
---@param all boolean
---@return mistral.Preview[]
local function targets(bufnr, all)
  if all then
    return vim.tbl_values(M.pending[bufnr] or {})
  end
  local p = at_cursor(bufnr)
  return p and { p } or {}
end

--- Accepts the fix under the cursor (or every fix of the buffer): the server applies it. With
--- the cursor on no fix, says so and applies nothing.
--- Several are accepted one after the other, the lowest in the buffer first: each edit is
--- versioned, so the next `acceptFix` must reach the server after the previous edit's didChange
--- (`client:request` flushes it), and the server rebases each one onto the edited buffer.
---@param bufnr? integer
---@param all? boolean
---@param callback? fun(applied: boolean, message: string?) Called once per fix.
function M.accept(bufnr, all, callback)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  if require('mistral.hunks').count(bufnr) > 0 then
    return require('mistral.hunks').accept(bufnr, all, callback)
  end
  local list = targets(bufnr, all or false)
  if #list == 0 then
    if M.count(bufnr) > 0 then
      say_none_under_cursor(bufnr, 'accept')
    else
      ui.notify('no fix preview in this buffer', vim.log.levels.WARN)
    end
    return
  end
  table.sort(list, function(a, b)
    return a.first > b.first
  end)
  for _, p in ipairs(list) do
    clear(p)
  end
  local function accept_from(i)
    local p = list[i]
    if not p then
      return
    end
    local client = vim.lsp.get_client_by_id(p.client_id)
    if not client then
      return accept_from(i + 1)
    end
    runs.execute(client, protocol.commands.acceptFix, { id = p.id }, function(err, result)
      local applied = not err and type(result) == 'table' and result.applied == true
      local message = err and err.message or (type(result) == 'table' and result.message) or nil
      -- A refusal's reason is shown by the server (window/showMessage); only say something
      -- when it gave none.
      if not applied and not message then
        ui.notify('fix not applied', vim.log.levels.WARN)
      end
      if callback then
        callback(applied, message)
      end
      accept_from(i + 1)
    end, bufnr)
  end
  accept_from(1)
end

--- Rejects the fix under the cursor (or every fix of the buffer); the buffer is left as it is.
--- On no fix (with some in the buffer), says so and rejects nothing.
---@param bufnr? integer
---@param all? boolean
function M.reject(bufnr, all)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  if require('mistral.hunks').count(bufnr) > 0 then
    return require('mistral.hunks').reject(bufnr, all)
  end
  local list = targets(bufnr, all or false)
  if #list == 0 and not all and M.count(bufnr) > 0 then
    say_none_under_cursor(bufnr, 'reject')
    return
  end
  for _, p in ipairs(list) do
    clear(p)
    local client = vim.lsp.get_client_by_id(p.client_id)
    if client then
      runs.execute(client, protocol.commands.rejectFix, { id = p.id }, nil, bufnr)
    end
  end
end

--- Forgets previews of a client that stopped (its server no longer knows them).
---@param client_id? integer nil for every client
function M.drop(client_id)
  require('mistral.hunks').drop(client_id)
  for _, list in pairs(M.pending) do
    for _, p in pairs(list) do
      if client_id == nil or p.client_id == client_id then
        clear(p)
      end
    end
  end
end

--- Number of fixes pending in a buffer (previewed whole, or with a hunk in it).
---@param bufnr? integer
---@return integer
function M.count(bufnr)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  return vim.tbl_count(M.pending[bufnr] or {}) + require('mistral.hunks').fixes(bufnr)
end

return M
