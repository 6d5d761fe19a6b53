--- `:Mistral hunks`: the pending hunks of every fix proposal (mistral/hunks.lua) as a quickfix
--- list, by file then line, kept true while hunks are decided.
local M = {}

local ui = require('mistral.ui')
local view = require('mistral.hunk_marks')

local QF_TITLE = 'Mistral hunks'

--- The quickfix items of every pending hunk, by file then line.
---@param proposals table<string, mistral.Proposal>
---@return vim.quickfix.entry[]
local function items_of(proposals)
  local items = {}
  for _, p in pairs(proposals) do
    for _, h in ipairs(p.hunks) do
      local d = p.drawn[h.id]
      if d and not d.hidden and vim.api.nvim_buf_is_valid(d.bufnr) then
        local first = view.rows_of(d)
        local removed, added = #view.lines_of(h.oldText), #view.lines_of(h.newText)
        items[#items + 1] = {
          bufnr = d.bufnr,
          lnum = first + 1,
          col = 1,
          text = ('%s (-%d +%d)'):format(view.label_of(h), removed, added),
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
---@param proposals table<string, mistral.Proposal>
function M.refresh(proposals)
  local current = vim.fn.getqflist({ title = 0, id = 0, idx = 0 })
  if current.title ~= QF_TITLE then
    return
  end
  local items = items_of(proposals)
  vim.fn.setqflist({}, 'r', {
    id = current.id,
    items = items,
    idx = math.max(1, math.min(current.idx, #items)),
  })
end

--- `:Mistral hunks`: every pending hunk in the quickfix list (file, line, label), opened.
---@param proposals table<string, mistral.Proposal>
function M.open(proposals)
  local items = items_of(proposals)
  if #items == 0 then
    ui.notify('no pending fix hunk', vim.log.levels.WARN)
    return
  end
  vim.fn.setqflist({}, ' ', { title = QF_TITLE, items = items })
  vim.cmd('botright copen')
end

return M
