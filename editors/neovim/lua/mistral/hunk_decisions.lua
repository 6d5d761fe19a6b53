--- Deciding the hunks of a fix proposal (mistral/hunks.lua keeps and draws them): the hunk
--- under the cursor, never a nearby one, or all of a buffer's fixes; `mistral.acceptFix` /
--- `mistral.rejectFix {id, hunks}`, one fix after the other, and the server's answer (the hunks
--- still pending, and why any was refused) redrawn.
local M = {}

local hunks = require('mistral.hunks')
local protocol = require('mistral.protocol')
local runs = require('mistral.runs')
local ui = require('mistral.ui')
local erase = require('mistral.hunk_marks').erase

--- The hunk whose lines hold the cursor in `bufnr`: never a nearby one, which may be off screen.
---@param bufnr integer
---@return { p: mistral.Proposal, h: mistral.protocol.Hunk, first: integer, last: integer }?
local function at_cursor(bufnr)
  local win = vim.api.nvim_get_current_buf() == bufnr and 0 or vim.fn.bufwinid(bufnr)
  if win == -1 then
    return nil
  end
  local row = vim.api.nvim_win_get_cursor(win)[1] - 1
  for _, item in ipairs(hunks.in_buffer(bufnr)) do
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
  for _, item in ipairs(hunks.in_buffer(bufnr)) do
    lines[#lines + 1] = item.first + 1
  end
  ui.say_none_at_cursor('fix hunk', lines, verb)
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
  for _, item in ipairs(hunks.in_buffer(bufnr)) do
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
  hunks.redraw(p)
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
      hunks.proposals[t.p.id] = nil
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

return M
