--- Messages and windows: one-line notifications (`window/showMessage` and the plugin's own), and
--- `window/showDocument` opened in a split. The explanation float is mistral/float.lua.
local M = {}

local config = require('mistral.config')

-- The builtin vim.notify echoes in the command line: a message longer than the line (or with a
-- line break) stops Neovim at a hit-enter prompt. nvim-notify, fidget, snacks… replace it and
-- show long messages well, so only the builtin one gets messages cut to fit.
local builtin_notify = vim.notify

--- `msg` as one line that fits the command line when the builtin vim.notify shows it.
---@param msg string
---@return string
function M.one_line(msg)
  local line = vim.trim((msg:gsub('%s+', ' ')))
  if vim.notify ~= builtin_notify then
    return line
  end
  local room = math.max(vim.v.echospace - 1, 20)
  if vim.fn.strdisplaywidth(line) <= room then
    return line
  end
  return vim.fn.strcharpart(line, 0, room - 1) .. '…'
end

---@param msg string
---@param level? integer
function M.notify(msg, level)
  vim.notify(M.one_line('mistral: ' .. msg), level or vim.log.levels.INFO)
end

local message_levels = {
  [1] = vim.log.levels.ERROR,
  [2] = vim.log.levels.WARN,
  [3] = vim.log.levels.INFO,
  [4] = vim.log.levels.DEBUG,
}

--- Per-client handler of `window/showMessage`: one short line (no hit-enter prompt); the whole
--- message stays in `:Mistral log`.
---@type lsp.Handler
function M.show_message_handler(_, params)
  if type(params) == 'table' and type(params.message) == 'string' then
    vim.notify(M.one_line(params.message), message_levels[params.type] or vim.log.levels.INFO)
  end
  return vim.NIL
end

--- Opens a file in a split, or focuses the window already showing it (`window/showDocument`).
---@param uri string
---@param selection? lsp.Range
---@param focus? boolean
---@param encoding? string
---@return boolean
function M.show_in_split(uri, selection, focus, encoding)
  local fname = vim.uri_to_fname(uri)
  local bufnr = vim.fn.bufadd(fname)
  vim.bo[bufnr].buflisted = true
  local prev = vim.api.nvim_get_current_win()
  local win = vim.fn.win_findbuf(bufnr)[1]
  local tabwins = vim.api.nvim_tabpage_list_wins(0)
  if not (win and vim.tbl_contains(tabwins, win)) then
    local how = (config.options.tests or {}).open or 'split'
    if how == 'edit' then
      vim.cmd.buffer(bufnr)
    else
      vim.cmd(
        (how == 'tab' and 'tab sbuffer' or how == 'vsplit' and 'vertical sbuffer' or 'sbuffer')
          .. ' '
          .. bufnr
      )
    end
    win = vim.api.nvim_get_current_win()
  else
    vim.api.nvim_set_current_win(win)
  end
  if selection and selection.start then
    local line =
      vim.api.nvim_buf_get_lines(bufnr, selection.start.line, selection.start.line + 1, false)[1]
    if line then
      local col = vim.str_byteindex(line, encoding or 'utf-16', selection.start.character, false)
      pcall(vim.api.nvim_win_set_cursor, win, { selection.start.line + 1, col })
    end
  end
  if focus == false and vim.api.nvim_win_is_valid(prev) then
    vim.api.nvim_set_current_win(prev)
  end
  return true
end

--- Per-client handler of `window/showDocument`: files open in a split, URLs in the browser.
---@type lsp.Handler
function M.show_document_handler(err, params, ctx)
  if params and not params.external and params.uri:match('^file:') then
    local client = vim.lsp.get_client_by_id(ctx.client_id)
    local ok = pcall(
      M.show_in_split,
      params.uri,
      params.selection,
      params.takeFocus,
      client and client.offset_encoding
    )
    return { success = ok }
  end
  return vim.lsp.handlers['window/showDocument'](err, params, ctx)
end

--- Says the cursor is on none of `what` (a fix, a fix hunk), and on which lines they are.
---@param what string
---@param lines integer[] 1-based
---@param verb string 'accept' or 'reject'
function M.say_none_at_cursor(what, lines, verb)
  table.sort(lines)
  M.notify(
    ('the cursor is on no %s; move to one (line%s %s) or %s them all with :Mistral %s all'):format(
      what,
      #lines == 1 and '' or 's',
      table.concat(lines, ', '),
      verb,
      verb
    ),
    vim.log.levels.WARN
  )
end

return M
