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
local view = require('mistral.hunk_marks')

local show_key, banner_text, label_of = view.show_key, view.banner_text, view.label_of
local draw, erase, rows_of = view.draw, view.erase, view.rows_of

--- The extmarks' namespace.
M.ns = view.ns

---@class mistral.Proposal
---@field id string Run id of the fix.
---@field client_id integer
---@field explanation? string The model's one-line explanation, above the first hunk.
---@field hunks mistral.protocol.Hunk[] The pending hunks, in the server's order.
---@field drawn table<string, mistral.DrawnHunk> By hunk id.

---@type table<string, mistral.Proposal>
M.proposals = {}

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
  require('mistral.hunk_list').refresh(M.proposals)
end

--- Shows a fix result's hunks. Returns false when there is none.
---@param run mistral.Run
---@param hunks mistral.protocol.Hunk[]
---@param explanation? string
---@return boolean
function M.show(run, hunks, explanation)
  view.setup_highlights()
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
  require('mistral.hunk_list').open(M.proposals)
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
