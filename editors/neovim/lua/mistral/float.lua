--- The explanation float: Explain and Ask answers streamed next to the code
--- (mistral/conversation.lua runs them). Placed below the cursor line, or above it when there is
--- no room below, never over the cursor line or the status line; its footer says the run's state,
--- the model's lookups and the keys that work; it closes with `q`, on a stop or a failure, and
--- when its window shows another buffer.
local M = {}

local config = require('mistral.config')
local ui = require('mistral.ui')

---@class mistral.ExplainFloat
---@field buf integer
---@field win integer
---@field run_id? string
---@field text string
---@field on_close? fun()
---@field done? boolean The answer is complete (an unfocused float then closes when the cursor moves).
---@field source_win integer The window of the code it explains.
---@field anchor_line integer The line (1-based) it is anchored to.
---@field above? boolean Placed above the cursor line (no room below it).
---@field status string The run's last progress message (the footer while it runs).
---@field lookups string[] The tool lookups of the current answer, as `mistral/stream` sent them.
---@field turn_start integer Length of `text` before the current answer (earlier turns).
---@field on_follow_up? fun() What `a` in the float does (set once an answer can be followed up).

--- Float of the current explanation, if open.
---@type mistral.ExplainFloat?
M.explain_float = nil

---@param f mistral.ExplainFloat
---@return boolean
local function float_valid(f)
  return f ~= nil and vim.api.nvim_win_is_valid(f.win) and vim.api.nvim_buf_is_valid(f.buf)
end

---@param f mistral.ExplainFloat
function M.close_explain(f)
  f = f or M.explain_float
  if not f then
    return
  end
  if M.explain_float == f then
    M.explain_float = nil
  end
  if vim.api.nvim_win_is_valid(f.win) then
    pcall(vim.api.nvim_win_close, f.win, true)
  end
  if f.on_close then
    local cb = f.on_close
    f.on_close = nil
    cb()
  end
end

---@return integer width, integer max_height
local function float_size()
  local opts = config.options.explain or {}
  local width = math.min(opts.max_width or 88, vim.o.columns - 6)
  local mh = opts.max_height or 0.6
  local max_height = mh <= 1 and math.floor((vim.o.lines - 4) * mh) or math.floor(mh)
  return math.max(width, 20), math.max(max_height, 3)
end

--- Rows free below and above the cursor line in the source window (its status line and the
--- cursor line excluded), less the float's border.
---@param f mistral.ExplainFloat
---@return integer below, integer above
local function room(f)
  if not vim.api.nvim_win_is_valid(f.source_win) then
    return vim.o.lines, 0
  end
  -- The row of the line it is anchored to (the cursor may have moved since), else the cursor's.
  local pos = vim.fn.screenpos(f.source_win, f.anchor_line, 1).row
  local line = pos > 0 and pos - vim.fn.win_screenpos(f.source_win)[1] + 1
    or vim.api.nvim_win_call(f.source_win, vim.fn.winline)
  local height = vim.api.nvim_win_get_height(f.source_win)
  return height - line - 2, line - 1 - 2
end

--- Height for the text, and the side of the cursor line with room for it: below when it fits
--- there, else the side with more room. The float never covers the cursor line or the status
--- line (Neovim would shift a float that does not fit below up over the cursor).
---@param f mistral.ExplainFloat
local function resize(f)
  if not float_valid(f) then
    return
  end
  local _, max_height = float_size()
  local ok, h = pcall(vim.api.nvim_win_text_height, f.win, {})
  local lines = ok and h.all or vim.api.nvim_buf_line_count(f.buf)
  local wanted = math.max(1, math.min(lines, max_height))
  local below, above = room(f)
  local place_above = wanted > below and above > below
  local height = math.max(1, math.min(wanted, place_above and above or math.max(below, 1)))
  if vim.api.nvim_win_get_height(f.win) ~= height or place_above ~= (f.above or false) then
    local cfg = vim.api.nvim_win_get_config(f.win)
    f.above = place_above
    vim.api.nvim_win_set_config(f.win, {
      relative = 'win',
      win = cfg.win,
      bufpos = cfg.bufpos,
      anchor = place_above and 'SW' or 'NW',
      row = place_above and 0 or 1,
      col = 0,
      height = height,
    })
  end
end

---@param n integer
---@return string
local function lookup_count(n)
  return ('%d lookup%s'):format(n, n == 1 and '' or 's')
end

--- Draws the footer: the state, after the lookups made so far (the latest while it is the
--- newest news, else their count); cut to the float's width.
---@param f mistral.ExplainFloat
local function draw_footer(f)
  if not float_valid(f) then
    return
  end
  local text = f.status
  local n = #f.lookups
  if n > 0 then
    local latest = f.lookups[n]
    if f.done or (f.status ~= latest and not f.status:find('looking up', 1, true)) then
      text = lookup_count(n) .. ' · ' .. f.status
    else
      text = latest .. (n > 1 and (' · ' .. lookup_count(n)) or '')
    end
  end
  local room = math.max(vim.api.nvim_win_get_width(f.win) - 4, 10)
  if vim.fn.strdisplaywidth(text) > room then
    text = vim.fn.strcharpart(text, 0, room - 1) .. '…'
  end
  vim.api.nvim_win_set_config(f.win, { footer = ' ' .. text .. ' ', footer_pos = 'right' })
end

--- The footer of a complete answer: the keys that work where the cursor is.
---@param f mistral.ExplainFloat
---@param inside boolean The cursor is in the float.
---@return string
local function done_status(f, inside)
  if inside then
    return 'done · ' .. (f.on_follow_up and 'a to follow up · ' or '') .. 'q to close'
  end
  return 'done · '
    .. (f.on_follow_up and ':Mistral ask to follow up · ' or '')
    .. ':Mistral enter to read'
end

--- Sets the state (a progress message) shown in the float's footer.
---@param f mistral.ExplainFloat
---@param status string
function M.explain_status(f, status)
  f.status = status
  draw_footer(f)
end

--- A tool lookup of the running answer (`mistral/stream` `lookup`): the footer shows it.
---@param f mistral.ExplainFloat
---@param line string
function M.explain_lookup(f, line)
  f.lookups[#f.lookups + 1] = line
  f.status = line
  draw_footer(f)
end

--- Renders the float's buffer as markdown: the treesitter highlighter (bundled `markdown`
--- parser, whose queries conceal backticks and emphasis markers), else the `markdown` syntax.
---@param buf integer
local function render_markdown(buf)
  vim.bo[buf].filetype = 'markdown'
  if not pcall(vim.treesitter.start, buf, 'markdown') then
    vim.bo[buf].syntax = 'markdown'
  end
end

--- Opens (or reuses) the explanation float next to the cursor; `q` in it closes it. The cursor
--- stays in the code unless `explain.focus` is true; |mistral.enter_explain()| moves it in.
---@param title string
---@param on_close? fun() Called once when the float is closed (used to cancel a running stream).
---@return mistral.ExplainFloat
function M.open_explain(title, on_close)
  if M.explain_float then
    M.close_explain(M.explain_float)
  end
  local focus = (config.options.explain or {}).focus == true
  local source_buf = vim.api.nvim_get_current_buf()
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].bufhidden = 'wipe'
  vim.api.nvim_buf_set_name(buf, ('mistral://explain/%d'):format(buf))
  render_markdown(buf)
  local width = float_size()
  local source_win = vim.api.nvim_get_current_win()
  local cursor = vim.api.nvim_win_get_cursor(source_win)
  -- Anchored to the text under the cursor (not the cursor), so it can be moved later.
  local win = vim.api.nvim_open_win(buf, focus, {
    relative = 'win',
    win = source_win,
    bufpos = { cursor[1] - 1, cursor[2] },
    anchor = 'NW',
    row = 1,
    col = 0,
    width = width,
    height = 1,
    style = 'minimal',
    border = 'rounded',
    title = ' ' .. title .. ' ',
    title_pos = 'left',
    footer = ' waiting for the model ',
    footer_pos = 'right',
  })
  vim.wo[win].wrap = true
  vim.wo[win].linebreak = true
  vim.wo[win].conceallevel = 2
  -- Markup stays hidden on the cursor line too, once you enter the float to read or scroll.
  vim.wo[win].concealcursor = 'nc'
  ---@type mistral.ExplainFloat
  local f = {
    buf = buf,
    win = win,
    text = '',
    status = 'waiting for the model',
    lookups = {},
    turn_start = 0,
    on_close = on_close,
    source_win = source_win,
    anchor_line = cursor[1],
  }
  M.explain_float = f
  resize(f)
  -- Another buffer in the code's window (`:e other`, `:b`), or that window closed: the
  -- explanation is about code no longer shown, so it closes (and a running answer stops).
  local source_group = vim.api.nvim_create_augroup('mistral.explain_float.source', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'WinClosed' }, {
    group = source_group,
    callback = function()
      if M.explain_float ~= f then
        return true
      end
      vim.schedule(function()
        if
          M.explain_float == f
          and (
            not vim.api.nvim_win_is_valid(source_win)
            or vim.api.nvim_win_get_buf(source_win) ~= source_buf
          )
        then
          M.close_explain(f)
        end
      end)
    end,
  })
  if not focus then
    -- Like a hover: once the answer is complete, moving on in the code closes it.
    local group = vim.api.nvim_create_augroup('mistral.explain_float', { clear = true })
    vim.api.nvim_create_autocmd({ 'CursorMoved', 'InsertEnter' }, {
      group = group,
      buffer = source_buf,
      callback = function()
        if M.explain_float ~= f then
          return true
        end
        if f.done and vim.api.nvim_get_current_win() ~= f.win then
          M.close_explain(f)
          return true
        end
      end,
    })
  end
  vim.keymap.set('n', 'q', function()
    M.close_explain(f)
  end, { buffer = buf, nowait = true, desc = 'Close the Mistral explanation' })
  -- The keys of a complete answer's footer are those that work where the cursor is.
  vim.api.nvim_create_autocmd({ 'WinEnter', 'WinLeave' }, {
    buffer = buf,
    callback = function(ev)
      if f.done and vim.startswith(f.status, 'done') then
        f.status = done_status(f, ev.event == 'WinEnter')
        draw_footer(f)
      end
    end,
  })
  -- The buffer is not modifiable, so `a` (append) has nothing else to do here.
  vim.keymap.set('n', 'a', function()
    if f.on_follow_up then
      f.on_follow_up()
    elseif not f.done then
      ui.notify('the answer is still coming; ask a follow-up once it is done')
    else
      ui.notify('this answer has no conversation to follow up (update mistral-lsp)', vim.log.levels.WARN)
    end
  end, { buffer = buf, nowait = true, desc = 'Ask Mistral a follow-up question' })
  vim.api.nvim_create_autocmd('WinClosed', {
    pattern = tostring(win),
    once = true,
    callback = function()
      vim.schedule(function()
        M.close_explain(f)
      end)
    end,
  })
  return f
end

--- Moves the cursor into the explanation float (to scroll, yank or close it with `q`).
---@return boolean entered false when no explanation is open
function M.enter_explain()
  local f = M.explain_float
  if not f or not float_valid(f) then
    ui.notify('no explanation is open')
    return false
  end
  vim.api.nvim_set_current_win(f.win)
  return true
end

--- The answer is complete: says so, and how to follow up, read or close it; the lookups the
--- model made (the result's `context.lookups`) are listed after the answer.
---@param f mistral.ExplainFloat
---@param lookups? string[]
function M.explain_done(f, lookups)
  f.done = true
  if not float_valid(f) then
    return
  end
  if type(lookups) == 'table' and #lookups > 0 then
    f.lookups = lookups
    local lines = { '', '', 'Looked up:' }
    for _, line in ipairs(lookups) do
      lines[#lines + 1] = '- ' .. line
    end
    M.explain_append(f, table.concat(lines, '\n'))
  end
  M.explain_status(f, done_status(f, vim.api.nvim_get_current_win() == f.win))
end

--- Starts the next turn of a conversation in the same float: the question under the answers so
--- far, then the new answer as it streams.
---@param f mistral.ExplainFloat
---@param question string
function M.explain_turn(f, question)
  f.done = false
  f.on_follow_up = nil
  f.lookups = {}
  local quoted = {}
  for _, line in ipairs(vim.split(question, '\n', { plain = true })) do
    quoted[#quoted + 1] = '> ' .. line
  end
  local first = vim.api.nvim_buf_line_count(f.buf) + (f.text == '' and 0 or 2)
  M.explain_append(f, (f.text == '' and '' or '\n\n') .. table.concat(quoted, '\n') .. '\n\n')
  f.turn_start = #f.text
  if float_valid(f) then
    -- The new turn at the top of the float, the earlier ones above it (scroll up to read them).
    local line = f.text == '' and 1 or math.min(first, vim.api.nvim_buf_line_count(f.buf))
    pcall(vim.api.nvim_win_set_cursor, f.win, { line, 0 })
    vim.api.nvim_win_call(f.win, function()
      vim.cmd('normal! zt')
    end)
  end
  M.explain_status(f, 'waiting for the model')
end

--- Appends streamed text to the float.
---@param f mistral.ExplainFloat
---@param delta string
function M.explain_append(f, delta)
  if not float_valid(f) then
    return
  end
  f.text = f.text .. delta
  local pieces = vim.split(delta, '\n', { plain = true })
  local last = vim.api.nvim_buf_line_count(f.buf) - 1
  local tail = vim.api.nvim_buf_get_lines(f.buf, last, last + 1, false)[1] or ''
  pieces[1] = tail .. pieces[1]
  vim.api.nvim_buf_set_lines(f.buf, last, last + 1, false, pieces)
  resize(f)
end

return M
