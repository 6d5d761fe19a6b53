--- How one hunk of a fix proposal looks in its buffer (mistral/hunks.lua keeps them,
--- mistral/hunk_decisions.lua decides them; mistral/preview.lua shares the highlights): the
--- lines it removes highlighted `MistralPreviewDelete` with a `-` sign, the lines it adds as
--- virtual lines `MistralPreviewAdd` below them, and a banner `MistralPreviewBanner` above it.
--- A file not shown anywhere is loaded into a listed buffer, without taking a window.
local M = {}

local config = require('mistral.config')

local ns = vim.api.nvim_create_namespace('mistral.hunks')
M.ns = ns

---@class mistral.DrawnHunk
---@field bufnr integer
---@field anchor integer Extmark on the hunk's first row (moves with edits above it).
---@field marks integer[] Every extmark of the hunk, anchor included.
---@field rows integer Rows the hunk covers (at least 1).
---@field hidden? boolean Decided, waiting for the server's answer: no longer counted.

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

--- A banner above line 1 is only visible with 'topfill': shown in the windows at the top.
---@param bufnr integer
function M.reveal_top_banner(bufnr)
  for _, w in ipairs(vim.fn.win_findbuf(bufnr)) do
    vim.api.nvim_win_call(w, function()
      if vim.fn.line('w0') == 1 then
        vim.fn.winrestview({ topfill = 99 })
      end
    end)
  end
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
    marks[#marks + 1] = vim.api.nvim_buf_set_extmark(bufnr, ns, row, 0, opts)
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
  if first == 0 then
    M.reveal_top_banner(bufnr)
  end
  return { bufnr = bufnr, anchor = anchor, marks = marks, rows = math.max(stop - first, 1) }
end

---@param d mistral.DrawnHunk
local function erase(d)
  if vim.api.nvim_buf_is_valid(d.bufnr) then
    for _, id in ipairs(d.marks) do
      pcall(vim.api.nvim_buf_del_extmark, d.bufnr, ns, id)
    end
  end
end

--- Rows (0-based, first and last) a drawn hunk covers now: they move with edits above it.
---@param d mistral.DrawnHunk
---@return integer first, integer last
local function rows_of(d)
  local m = vim.api.nvim_buf_get_extmark_by_id(d.bufnr, ns, d.anchor, {})
  local first = m[1] or 0
  return first, first + d.rows - 1
end

M.setup_highlights = setup_highlights
M.show_key = show_key
M.banner_text = banner_text
M.label_of = label_of
M.lines_of = lines_of
M.draw = draw
M.erase = erase
M.rows_of = rows_of

return M
