--- A fix proposal as hunks (docs/protocol.md `Hunk`): the fix result's `hunks`, drawn in every
--- buffer they touch (files not shown are loaded as buffers, without taking a window), decided
--- one at a time. Removed lines are highlighted `DiffDelete`, added lines are virtual lines
--- highlighted `DiffAdd`, and a banner above each hunk names the keys. The buffers themselves are
--- not touched until a hunk is accepted: `mistral.acceptFix {id, hunks}` (the server applies it,
--- rebased onto the document as it is now, or refuses it alone and says why) and
--- `mistral.rejectFix {id, hunks}`. Both answer with the hunks still `pending`, with their ranges
--- as they are now; everything is redrawn from that list, never guessed here.
local M = {}

local config = require('mistral.config')
local protocol = require('mistral.protocol')
local runs = require('mistral.runs')
local ui = require('mistral.ui')

M.ns = vim.api.nvim_create_namespace('mistral.hunks')

local QF_TITLE = 'Mistral hunks'

---@class mistral.Proposal
---@field id string Run id of the fix.
---@field client_id integer
---@field explanation? string The model's one-line explanation, above the first hunk.
---@field hunks mistral.protocol.Hunk[] The pending hunks, in the server's order.
---@field drawn table<string, mistral.DrawnHunk> By hunk id.

---@class mistral.DrawnHunk
---@field bufnr integer
---@field anchor integer Extmark on the hunk's first row (moves with edits above it).
---@field marks integer[] Every extmark of the hunk, anchor included.
---@field rows integer Rows the hunk covers (at least 1).
---@field hidden? boolean Decided, waiting for the server's answer: no longer counted.

---@type table<string, mistral.Proposal>
M.proposals = {}

local function setup_highlights()
  vim.api.nvim_set_hl(0, 'MistralPreviewAdd', { default = true, link = 'DiffAdd' })
  vim.api.nvim_set_hl(0, 'MistralPreviewDelete', { default = true, link = 'DiffDelete' })
  vim.api.nvim_set_hl(
    0,
    'MistralPreviewBanner',
    { default = true, link = 'DiagnosticVirtualTextInfo' }
  )
end

--- The buffer of a URI, loaded (a file not open yet is read into a hidden buffer; no window).
---@param uri string
---@return integer
local function buffer_of(uri)
  local bufnr = vim.uri_to_bufnr(uri)
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    vim.fn.bufload(bufnr)
    vim.bo[bufnr].buflisted = true
  end
  return bufnr
end

--- A key as the user types it (`<LocalLeader>a` shown as `\a`).
---@param lhs? string
---@return string
local function show_key(lhs)
  local function leader(value)
    return value == ' ' and '<Space>' or value
  end
  return (
    (lhs or '')
      :gsub('<[Ll]ocal[Ll]eader>', function()
        return leader(vim.g.maplocalleader or '\\')
      end)
      :gsub('<[Ll]eader>', function()
        return leader(vim.g.mapleader or '\\')
      end)
  )
end

---@param index integer
---@param total integer
---@param label string
---@return string
local function banner_text(index, total, label)
  local k = config.options.preview_keys
  local text = ' Mistral fix %d/%d · %s · %s accept · %s reject · %s/%s all · %s/%s next/previous '
  return text:format(
    index,
    total,
    label,
    show_key(k.accept),
    show_key(k.reject),
    show_key(k.accept_all),
    show_key(k.reject_all),
    show_key(k.next_hunk),
    show_key(k.prev_hunk)
  )
end

--- Where a hunk is, for messages and lists: its label, else its file's name.
---@param h mistral.protocol.Hunk
---@return string
local function label_of(h)
  if type(h.label) == 'string' and h.label ~= '' then
    return h.label
  end
  return vim.fs.basename(vim.uri_to_fname(h.uri))
end

---@param text string
---@return string[]
local function lines_of(text)
  local lines = vim.split(text or '', '\n', { plain = true })
  if lines[#lines] == '' then
    lines[#lines] = nil
  end
  return lines
end

--- Draws one hunk in its buffer.
---@param h mistral.protocol.Hunk
---@param banner [string, string][][]
---@return mistral.DrawnHunk
local function draw(h, banner)
  local bufnr = buffer_of(h.uri)
  local count = vim.api.nvim_buf_line_count(bufnr)
  local first = h.range.start.line
  -- Whole lines: the range ends at character 0 of the line after (or at the end of the text).
  local stop = h.range['end'].line + (h.range['end'].character > 0 and 1 or 0)
  local win = vim.fn.bufwinid(bufnr)
  local width = math.max(20, vim.api.nvim_win_get_width(win ~= -1 and win or 0) - 4)
  local added = {} ---@type [string, string][][]
  for _, line in ipairs(lines_of(h.newText)) do
    local text = line:gsub('\t', string.rep(' ', vim.bo[bufnr].tabstop))
    local pad = string.rep(' ', math.max(0, width - vim.fn.strdisplaywidth(text)))
    added[#added + 1] = { { text .. pad, 'MistralPreviewAdd' } }
  end
  local marks = {} ---@type integer[]
  local function mark(row, opts)
    opts.priority = 200
    marks[#marks + 1] = vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, 0, opts)
    return marks[#marks]
  end
  local anchor ---@type integer
  if first >= count then
    -- An insertion at the end of the text: everything below the last line.
    local below = vim.list_extend(vim.deepcopy(banner), added)
    anchor = mark(math.max(count - 1, 0), { virt_lines = below })
    return { bufnr = bufnr, anchor = anchor, marks = marks, rows = 1 }
  end
  -- The banner sits above the first row; for a pure insertion the added lines follow it there.
  -- `right_gravity = false`: it stays on its line when that line is replaced.
  local above = stop > first and banner or vim.list_extend(vim.deepcopy(banner), added)
  anchor = mark(first, { virt_lines = above, virt_lines_above = true, right_gravity = false })
  for row = first, stop - 1 do
    mark(row, {
      line_hl_group = 'MistralPreviewDelete',
      sign_text = '-',
      sign_hl_group = 'MistralPreviewDelete',
    })
  end
  if stop > first and #added > 0 then
    mark(stop - 1, { virt_lines = added })
  end
  -- A banner above line 1 is only visible with 'topfill'.
  if first == 0 then
    for _, w in ipairs(vim.fn.win_findbuf(bufnr)) do
      vim.api.nvim_win_call(w, function()
        if vim.fn.line('w0') == 1 then
          vim.fn.winrestview({ topfill = 99 })
        end
      end)
    end
  end
  return { bufnr = bufnr, anchor = anchor, marks = marks, rows = math.max(stop - first, 1) }
end

---@param d mistral.DrawnHunk
local function erase(d)
  if vim.api.nvim_buf_is_valid(d.bufnr) then
    for _, id in ipairs(d.marks) do
      pcall(vim.api.nvim_buf_del_extmark, d.bufnr, M.ns, id)
    end
  end
end

--- Rows (0-based, first and last) a drawn hunk covers now: they move with edits above it.
---@param d mistral.DrawnHunk
---@return integer first, integer last
local function rows_of(d)
  local m = vim.api.nvim_buf_get_extmark_by_id(d.bufnr, M.ns, d.anchor, {})
  local first = m[1] or 0
  return first, first + d.rows - 1
end

--- Every drawn hunk of a buffer, top to bottom.
---@param bufnr integer
---@return { p: mistral.Proposal, h: mistral.protocol.Hunk, first: integer, last: integer }[]
local function in_buffer(bufnr)
  local out = {}
  for _, p in pairs(M.proposals) do
    for _, h in ipairs(p.hunks) do
      local d = p.drawn[h.id]
      if d and d.bufnr == bufnr and not d.hidden then
        local first, last = rows_of(d)
        out[#out + 1] = { p = p, h = h, first = first, last = last }
      end
    end
  end
  table.sort(out, function(a, b)
    return a.first < b.first
  end)
  return out
end

--- Number of pending hunks in a buffer.
---@param bufnr? integer
---@return integer
function M.count(bufnr)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  return #in_buffer(bufnr)
end

--- Number of fixes (proposals) with a pending hunk in a buffer.
---@param bufnr? integer
---@return integer
function M.fixes(bufnr)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  local seen = {}
  for _, item in ipairs(in_buffer(bufnr)) do
    seen[item.p.id] = true
  end
  return vim.tbl_count(seen)
end

local function keys_of()
  local k = config.options.preview_keys
  local function decide(fn, all)
    return function(bufnr)
      fn(bufnr, all)
    end
  end
  local function jump(direction)
    return function()
      M.jump(direction)
    end
  end
  return {
    { k.accept, decide(M.accept, false), 'accept the fix hunk under the cursor' },
    { k.reject, decide(M.reject, false), 'reject the fix hunk under the cursor' },
    { k.accept_all, decide(M.accept, true), 'accept every hunk of the fixes in this buffer' },
    { k.reject_all, decide(M.reject, true), 'reject every hunk of the fixes in this buffer' },
    { k.next_hunk, jump(1), 'next fix hunk' },
    { k.prev_hunk, jump(-1), 'previous fix hunk' },
  }
end

--- Buffer-local keys while the buffer has a pending hunk; removed with the last one.
---@param bufnr integer
local function update_keys(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local on = M.count(bufnr) > 0
  for _, key in ipairs(keys_of()) do
    local lhs, fn, desc = key[1], key[2], key[3]
    if lhs and lhs ~= '' then
      if on then
        vim.keymap.set('n', lhs, function()
          fn(bufnr)
        end, { buffer = bufnr, nowait = true, desc = 'Mistral: ' .. desc })
      else
        pcall(vim.keymap.del, 'n', lhs, { buffer = bufnr })
      end
    end
  end
end

--- The quickfix items of every pending hunk, by file then line.
---@return vim.quickfix.entry[]
local function qf_items()
  local items = {}
  for _, p in pairs(M.proposals) do
    for _, h in ipairs(p.hunks) do
      local d = p.drawn[h.id]
      if d and not d.hidden and vim.api.nvim_buf_is_valid(d.bufnr) then
        local first = rows_of(d)
        local removed, added = #lines_of(h.oldText), #lines_of(h.newText)
        items[#items + 1] = {
          bufnr = d.bufnr,
          lnum = first + 1,
          col = 1,
          text = ('%s (-%d +%d)'):format(label_of(h), removed, added),
          user_data = { fix = p.id, hunk = h.id },
        }
      end
    end
  end
  table.sort(items, function(a, b)
    local na, nb = vim.api.nvim_buf_get_name(a.bufnr), vim.api.nvim_buf_get_name(b.bufnr)
    if na ~= nb then
      return na < nb
    end
    return a.lnum < b.lnum
  end)
  return items
end

--- Keeps a quickfix list made by `:Mistral hunks` true after hunks were decided.
local function refresh_quickfix()
  local current = vim.fn.getqflist({ title = 0, id = 0, idx = 0 })
  if current.title ~= QF_TITLE then
    return
  end
  local items = qf_items()
  vim.fn.setqflist({}, 'r', {
    id = current.id,
    items = items,
    idx = math.max(1, math.min(current.idx, #items)),
  })
end

--- Draws (again) every pending hunk of a proposal; forgets it when none is left.
---@param p mistral.Proposal
---@param touched? table<integer, true> Buffers whose keys to update, filled here.
local function redraw(p, touched)
  touched = touched or {}
  for _, d in pairs(p.drawn) do
    erase(d)
    touched[d.bufnr] = true
  end
  p.drawn = {}
  if #p.hunks == 0 then
    M.proposals[p.id] = nil
  else
    M.proposals[p.id] = p
    for i, h in ipairs(p.hunks) do
      local banner = { { { banner_text(i, #p.hunks, label_of(h)), 'MistralPreviewBanner' } } }
      if i == 1 and p.explanation then
        table.insert(banner, 1, { { ' ' .. p.explanation .. ' ', 'MistralPreviewBanner' } })
      end
      local ok, drawn = pcall(draw, h, banner)
      if ok then
        p.drawn[h.id] = drawn
        touched[drawn.bufnr] = true
      else
        ui.notify(('cannot show hunk %s: %s'):format(label_of(h), drawn), vim.log.levels.WARN)
      end
    end
  end
  for bufnr in pairs(touched) do
    update_keys(bufnr)
  end
  refresh_quickfix()
end

--- Shows a fix result's hunks. Returns false when there is none.
---@param run mistral.Run
---@param hunks mistral.protocol.Hunk[]
---@param explanation? string
---@return boolean
function M.show(run, hunks, explanation)
  setup_highlights()
  if type(hunks) ~= 'table' or #hunks == 0 then
    return false
  end
  ---@type mistral.Proposal
  local p = {
    id = run.id,
    client_id = run.client_id,
    explanation = type(explanation) == 'string' and explanation ~= '' and explanation or nil,
    hunks = hunks,
    drawn = {},
  }
  redraw(p)
  local files = {}
  for _, h in ipairs(hunks) do
    files[h.uri] = true
  end
  local n_files = vim.tbl_count(files)
  vim.api.nvim_echo({
    {
      ('%s%d hunk%s%s — %s accept · %s reject · %s/%s next/previous · :Mistral hunks'):format(
        p.explanation and (p.explanation .. ' — ') or '',
        #hunks,
        #hunks == 1 and '' or 's',
        n_files > 1 and (' in %d files'):format(n_files) or '',
        show_key(config.options.preview_keys.accept),
        show_key(config.options.preview_keys.reject),
        show_key(config.options.preview_keys.next_hunk),
        show_key(config.options.preview_keys.prev_hunk)
      ),
      'MistralPreviewBanner',
    },
  }, false, {})
  return true
end

--- Says which extra blocks of a fix's answer the server could not place (never applied).
---@param unplaced? mistral.protocol.UnplacedBlock[]
function M.say_unplaced(unplaced)
  if type(unplaced) ~= 'table' or #unplaced == 0 then
    return
  end
  local parts = {} ---@type string[]
  for _, block in ipairs(unplaced) do
    parts[#parts + 1] = ('%s (%s)'):format(tostring(block.label), tostring(block.reason))
  end
  local count = #unplaced == 1 and '' or ('%d blocks '):format(#unplaced)
  ui.notify(
    ('%snot placed, so not proposed: %s'):format(count, table.concat(parts, '; ')),
    vim.log.levels.WARN
  )
end

--- Moves the cursor to the next (`1`) or previous (`-1`) hunk of the current buffer, wrapping
--- around its ends.
---@param direction integer
function M.jump(direction)
  local list = in_buffer(vim.api.nvim_get_current_buf())
  if #list == 0 then
    ui.notify('no fix hunk in this buffer', vim.log.levels.WARN)
    return
  end
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  local target = direction > 0 and list[1] or list[#list]
  for i = 1, #list do
    local item = list[direction > 0 and i or (#list + 1 - i)]
    if (direction > 0 and item.first > row) or (direction < 0 and item.first < row) then
      target = item
      break
    end
  end
  vim.cmd("normal! m'") -- a jump: `''` and <C-o> come back
  vim.api.nvim_win_set_cursor(0, { target.first + 1, 0 })
end

--- The hunk whose lines hold the cursor in `bufnr`: never a nearby one, which may be off screen.
---@param bufnr integer
---@return { p: mistral.Proposal, h: mistral.protocol.Hunk, first: integer, last: integer }?
local function at_cursor(bufnr)
  local win = vim.api.nvim_get_current_buf() == bufnr and 0 or vim.fn.bufwinid(bufnr)
  if win == -1 then
    return nil
  end
  local row = vim.api.nvim_win_get_cursor(win)[1] - 1
  for _, item in ipairs(in_buffer(bufnr)) do
    if item.first <= row and row <= item.last then
      return item
    end
  end
  return nil
end

---@param bufnr integer
---@param verb string
local function say_none_under_cursor(bufnr, verb)
  local lines = {} ---@type integer[]
  for _, item in ipairs(in_buffer(bufnr)) do
    lines[#lines + 1] = item.first + 1
  end
  ui.notify(
    ('the cursor is on no fix hunk; move to one (line%s %s) or %s them all with :Mistral %s all'):format(
      #lines == 1 and '' or 's',
      table.concat(lines, ', '),
      verb,
      verb
    ),
    vim.log.levels.WARN
  )
end

--- What a decision is about: each proposal with the hunk ids to decide (nil: all of it).
---@param bufnr integer
---@param all boolean
---@return { p: mistral.Proposal, ids: string[]? }[]
local function targets(bufnr, all)
  if not all then
    local item = at_cursor(bufnr)
    return item and { { p = item.p, ids = { item.h.id } } } or {}
  end
  local seen, out = {}, {}
  for _, item in ipairs(in_buffer(bufnr)) do
    if not seen[item.p.id] then
      seen[item.p.id] = true
      out[#out + 1] = { p = item.p, ids = nil }
    end
  end
  return out
end

--- Takes the server's answer to a decision: the hunks still pending (redrawn), and why any was
--- refused.
---@param p mistral.Proposal
---@param decided string[]? The hunk ids decided (nil: all of them).
---@param err? lsp.ResponseError
---@param result? table AppliedResult or RejectResult
local function settle(p, decided, err, result)
  result = type(result) == 'table' and result or {}
  -- The server showed its `message` (window/showMessage): when nothing was applied it covers
  -- every refusal; else it names the first one. Each reason names its hunk.
  local said = type(result.message) == 'string' and result.message or ''
  local covered = said ~= '' and result.applied ~= true
  for _, refused in ipairs(type(result.refused) == 'table' and result.refused or {}) do
    local reason = type(refused.reason) == 'string' and refused.reason or ('hunk ' .. refused.id)
    if not covered and not said:find(reason, 1, true) then
      ui.notify('not applied: ' .. reason, vim.log.levels.WARN)
    end
  end
  if err then
    ui.notify(('%s'):format(err.message or err), vim.log.levels.ERROR)
  end
  if type(result.pending) == 'table' then
    p.hunks = result.pending
  elseif not err then
    -- No `pending`: the decided hunks are gone, the others stay as they were.
    local keep = {}
    for _, h in ipairs(p.hunks) do
      if decided and not vim.tbl_contains(decided, h.id) then
        keep[#keep + 1] = h
      end
    end
    p.hunks = keep
  end
  redraw(p)
end

--- Hides the decided hunks at once (the answer redraws what is left).
---@param p mistral.Proposal
---@param ids string[]?
local function hide(p, ids)
  for id, d in pairs(p.drawn) do
    if not ids or vim.tbl_contains(ids, id) then
      erase(d)
      d.hidden = true
    end
  end
end

--- Sends one decision per proposal, one after the other: each edit is versioned, so the next
--- request must reach the server after the previous edit's didChange (`client:request` flushes
--- it).
---@param command string
---@param list { p: mistral.Proposal, ids: string[]? }[]
---@param bufnr integer
---@param callback? fun(applied: boolean, message: string?)
local function decide(command, list, bufnr, callback)
  for _, t in ipairs(list) do
    hide(t.p, t.ids)
  end
  local function from(i)
    local t = list[i]
    if not t then
      return
    end
    local client = vim.lsp.get_client_by_id(t.p.client_id)
    if not client then
      M.proposals[t.p.id] = nil
      return from(i + 1)
    end
    runs.execute(client, command, { id = t.p.id, hunks = t.ids }, function(err, result)
      settle(t.p, t.ids, err, result)
      if callback then
        local r = type(result) == 'table' and result or {}
        local reason = type(r.refused) == 'table' and r.refused[1] and r.refused[1].reason or nil
        callback(r.applied == true, err and err.message or reason or r.message)
      end
      from(i + 1)
    end, bufnr)
  end
  from(1)
end

--- Accepts the hunk under the cursor (`all`: every hunk of the fixes shown in the buffer, in
--- every file they touch).
---@param bufnr? integer
---@param all? boolean
---@param callback? fun(applied: boolean, message: string?) Called once per fix.
function M.accept(bufnr, all, callback)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  local list = targets(bufnr, all or false)
  if #list == 0 then
    say_none_under_cursor(bufnr, 'accept')
    return
  end
  decide(protocol.commands.acceptFix, list, bufnr, callback)
end

--- Rejects the hunk under the cursor (`all`: the fixes shown in the buffer, with every hunk).
---@param bufnr? integer
---@param all? boolean
function M.reject(bufnr, all)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  local list = targets(bufnr, all or false)
  if #list == 0 then
    say_none_under_cursor(bufnr, 'reject')
    return
  end
  decide(protocol.commands.rejectFix, list, bufnr, nil)
end

--- `:Mistral hunks`: every pending hunk in the quickfix list (file, line, label), opened.
function M.quickfix()
  local items = qf_items()
  if #items == 0 then
    ui.notify('no pending fix hunk', vim.log.levels.WARN)
    return
  end
  vim.fn.setqflist({}, ' ', { title = QF_TITLE, items = items })
  vim.cmd('botright copen')
end

--- Forgets the proposals of a client that stopped (its server no longer knows them).
---@param client_id? integer nil for every client
function M.drop(client_id)
  for _, p in pairs(M.proposals) do
    if client_id == nil or p.client_id == client_id then
      p.hunks = {}
      redraw(p)
    end
  end
end

return M
