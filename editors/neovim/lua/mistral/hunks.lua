--- A fix proposal as hunks (docs/protocol.md `Hunk`): the fix result's `hunks`, drawn in every
--- buffer they touch (files not shown are loaded as buffers, without taking a window), decided
--- one at a time. Removed lines are highlighted `DiffDelete`, added lines are virtual lines
--- highlighted `DiffAdd`, and a banner above each hunk names the keys. The buffers themselves are
--- not touched until a hunk is accepted: `mistral.acceptFix {id, hunks}` (the server applies it,
--- rebased onto the document as it is now, or refuses it alone and says why) and
--- `mistral.rejectFix {id, hunks}`. Both answer with the hunks still `pending`, with their ranges
--- as they are now; everything is redrawn from that list, never guessed here.
--- This module keeps the proposals, their keys and `]h`/`[h`; mistral/hunk_marks.lua draws one
--- hunk, mistral/hunk_decisions.lua accepts and rejects, mistral/hunk_list.lua is the quickfix list.
local M = {}

local config = require('mistral.config')
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
function M.in_buffer(bufnr)
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
  return #M.in_buffer(bufnr)
end

--- Number of fixes (proposals) with a pending hunk in a buffer.
---@param bufnr? integer
---@return integer
function M.fixes(bufnr)
  bufnr = bufnr and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()
  local seen = {}
  for _, item in ipairs(M.in_buffer(bufnr)) do
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
function M.redraw(p, touched)
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
  M.redraw(p)
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
  local list = M.in_buffer(vim.api.nvim_get_current_buf())
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

--- Accepts the hunk under the cursor (`all`: every hunk of the fixes shown in the buffer, in
--- every file they touch); see mistral/hunk_decisions.lua.
---@param bufnr? integer
---@param all? boolean
---@param callback? fun(applied: boolean, message: string?) Called once per fix.
function M.accept(bufnr, all, callback)
  return require('mistral.hunk_decisions').accept(bufnr, all, callback)
end

--- Rejects the hunk under the cursor (`all`: the fixes shown in the buffer, with every hunk).
---@param bufnr? integer
---@param all? boolean
function M.reject(bufnr, all)
  return require('mistral.hunk_decisions').reject(bufnr, all)
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
      M.redraw(p)
    end
  end
end

return M
