--- The actions as the plugin runs them: explain and ask stream into a float (a conversation,
--- mistral/conversation.lua), fix shows a preview (docs/protocol.md `preview = true`), review
--- reports its count, tests open the test file in a split. Each takes the argument object of the
--- protocol, built here from a buffer and a range or taken from a code action's command.
local M = {}

local config = require('mistral.config')
local runs = require('mistral.runs')
local ui = require('mistral.ui')

---@class mistral.RangeSpec
---@field line1? integer 1-based first line (line-wise range)
---@field line2? integer 1-based last line
---@field start? [integer, integer] (row 1-based, byte col 0-based) of a character-wise range
---@field finish? [integer, integer] (row 1-based, byte col 0-based, inclusive) end of that range
---@field whole? boolean the whole file

---@class mistral.RunOpts
---@field bufnr? integer
---@field range? mistral.RangeSpec nil: the cursor (the server picks the enclosing definition)
---@field args? table A ready argument object (from a code action); skips the range logic.
---@field client_id? integer
---@field question? string Ask: the question (nil: asked with `vim.ui.input`).

---@param bufnr integer
---@param row0 integer
---@param byte integer
---@param enc string
---@return lsp.Position
local function position(bufnr, row0, byte, enc)
  local line = vim.api.nvim_buf_get_lines(bufnr, row0, row0 + 1, false)[1] or ''
  byte = math.max(0, math.min(byte, #line))
  return { line = row0, character = vim.str_utfindex(line, enc, byte, false) }
end

--- LSP range of a RangeSpec (nil spec: an empty range at the cursor).
---@param bufnr integer
---@param spec? mistral.RangeSpec
---@param enc string
---@return lsp.Range?
function M.lsp_range(bufnr, spec, enc)
  if spec and spec.whole then
    return nil
  end
  if spec and spec.start and spec.finish then
    local s, e = spec.start, spec.finish
    local eline = vim.api.nvim_buf_get_lines(bufnr, e[1] - 1, e[1], false)[1] or ''
    local ebyte = #eline
    if e[2] < #eline then
      local ok, extra = pcall(vim.str_utf_end, eline, e[2] + 1)
      ebyte = math.min(#eline, e[2] + (ok and extra or 0) + 1)
    end
    return {
      start = position(bufnr, s[1] - 1, s[2], enc),
      ['end'] = position(bufnr, e[1] - 1, ebyte, enc),
    }
  end
  if spec and spec.line1 then
    local last = vim.api.nvim_buf_get_lines(bufnr, spec.line2 - 1, spec.line2, false)[1] or ''
    return {
      start = { line = spec.line1 - 1, character = 0 },
      ['end'] = position(bufnr, spec.line2 - 1, #last, enc),
    }
  end
  local win = vim.fn.bufwinid(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(win ~= -1 and win or 0)
  local pos = position(bufnr, cursor[1] - 1, cursor[2], enc)
  return { start = pos, ['end'] = vim.deepcopy(pos) }
end

---@param a lsp.Position
---@param b lsp.Position
---@return boolean
local function before_or_at(a, b)
  return a.line < b.line or (a.line == b.line and a.character <= b.character)
end

--- Diagnostics (of every source) whose range intersects `range` (touching counts), as LSP
--- diagnostics; all of them when `range` is nil (the whole file). The rule of docs/protocol.md,
--- "Commands", which the VS Code extension follows too.
---@param bufnr integer
---@param range? lsp.Range
---@return lsp.Diagnostic[]
local function diagnostics_in(bufnr, range)
  local out = {} ---@type lsp.Diagnostic[]
  for _, d in ipairs(vim.lsp.diagnostic.from(vim.diagnostic.get(bufnr))) do
    if
      not range
      or (before_or_at(d.range.start, range['end']) and before_or_at(range.start, d.range['end']))
    then
      out[#out + 1] = d
    end
  end
  return out
end

--- The protocol's argument object for `bufnr` and a range.
---@param client vim.lsp.Client
---@param bufnr integer
---@param spec? mistral.RangeSpec
---@return mistral.protocol.ActionArguments
function M.make_args(client, bufnr, spec)
  local range = M.lsp_range(bufnr, spec, client.offset_encoding)
  return {
    uri = vim.uri_from_bufnr(bufnr),
    range = range or vim.NIL,
    version = vim.lsp.util.buf_versions[bufnr],
    diagnostics = diagnostics_in(bufnr, range),
  }
end

--- Client and argument object for a run.
---@param opts mistral.RunOpts
---@return vim.lsp.Client? client
---@return integer bufnr
---@return table? args
function M.prepare(opts)
  local bufnr = opts.bufnr and opts.bufnr ~= 0 and opts.bufnr or vim.api.nvim_get_current_buf()
  if opts.args and opts.args.uri then
    bufnr = vim.uri_to_bufnr(opts.args.uri)
  end
  local client = opts.client_id and vim.lsp.get_client_by_id(opts.client_id) or runs.client(bufnr)
  if not client then
    ui.notify(
      ('no mistral-lsp client is attached to this buffer (filetype %q); see :checkhealth mistral'):format(
        vim.bo[bufnr].filetype
      ),
      vim.log.levels.ERROR
    )
    return nil, bufnr, nil
  end
  local caps = vim.tbl_get(client, 'capabilities', 'experimental', 'mistral') or {}
  if not caps.commandsResolveOnCompletion then
    -- Started from lsp/mistral.lua alone (before setup()): the server answers such a client at
    -- once and keeps the result (a fix's preview) for a client that will never ask for it, and
    -- streams nothing. Run nothing, and say what the plugin needs: a server started by setup().
    ui.notify("needs require('mistral').setup() (then :Mistral restart)", vim.log.levels.ERROR)
    return nil, bufnr, nil
  end
  local args = opts.args and vim.deepcopy(opts.args) or M.make_args(client, bufnr, opts.range)
  return client, bufnr, args
end

--- Explain: a float filled as `mistral/stream` arrives; closing it (`q`) stops the run, `a` in it
--- asks a follow-up.
---@param opts? mistral.RunOpts
---@return mistral.Run?
function M.explain(opts)
  opts = opts or {}
  local client, bufnr, args = M.prepare(opts)
  if not client or not args then
    return nil
  end
  return require('mistral.conversation').start('Mistral: Explain', client, bufnr, 'explain', args)
end

--- Ask: a question about the range (or the code at the cursor), answered in the explanation
--- float. Without a range, while a conversation's float is open, the question follows it up.
--- Without a question, asks for one with `vim.ui.input`.
---@param opts? mistral.RunOpts
function M.ask(opts)
  opts = opts or {}
  local conversation = require('mistral.conversation')
  local open = not opts.range and not opts.args and conversation.current() or nil
  if open and not open.done then
    ui.notify('the answer is still coming; ask once it is done (or :Mistral stop)')
    return
  end
  local client, bufnr, args
  if not (open and open.conversation.id) then
    open = nil
    client, bufnr, args = M.prepare(opts)
    if not client or not args then
      return
    end
  end
  local function go(question)
    question = question and vim.trim(question) or ''
    if question == '' then
      return
    end
    if open then
      if conversation.current() == open then
        conversation.follow_up(open, question)
      end
      return -- closed while the question was typed: nothing to follow up
    end
    assert(client and args)
    args.question = question
    conversation.start('Mistral: Ask', client, bufnr, 'ask', args, question)
  end
  local question = opts.question or (args and args.question)
  if question and vim.trim(question) ~= '' then
    go(question)
  else
    vim.ui.input({ prompt = open and 'Follow-up: ' or 'Ask Mistral: ' }, go)
  end
end

--- Fix: computes the edit with `preview = true` and shows it; nothing changes until accepted.
---@param opts? mistral.RunOpts
---@return mistral.Run?
function M.fix(opts)
  local client, bufnr, args = M.prepare(opts or {})
  if not client or not args then
    return nil
  end
  local want_preview = (config.options.fix or {}).preview ~= false
  args.preview = want_preview
  return runs.start(client, bufnr, 'fix', args, {
    on_result = function(run, err, result)
      if err or not result or result.cancelled then
        return
      end
      if not want_preview then
        return -- applied by the server, which also says why when it could not
      end
      local explanation = type(result.explanation) == 'string' and result.explanation or nil
      local shown = result.edit
        and require('mistral.preview').show(run, result.edit, explanation, result.hunks)
      if not shown then
        ui.notify(result.message or 'no change proposed', vim.log.levels.INFO)
      end
      require('mistral.hunks').say_unplaced(result.unplaced)
    end,
  })
end

--- Review: the server publishes diagnostics; this reports how many.
---@param opts? mistral.RunOpts
---@return mistral.Run?
function M.review(opts)
  opts = opts or {}
  if not opts.range and not opts.args then
    opts = vim.tbl_extend('force', opts, { range = { whole = true } })
  end
  local client, bufnr, args = M.prepare(opts)
  if not client or not args then
    return nil
  end
  return runs.start(client, bufnr, 'review', args, {
    on_result = function(_, err, result)
      if err or not result or result.cancelled then
        return
      end
      local n = tonumber(result.diagnostics) or 0
      ui.notify(
        n == 0 and 'review: no findings' or ('review: %d finding%s'):format(n, n == 1 and '' or 's')
      )
    end,
  })
end

--- Generate tests: the server writes the test file and asks `window/showDocument` (opened in a
--- split by our handler); the result's `testUri` is opened too if no window shows it.
---@param opts? mistral.RunOpts
---@return mistral.Run?
function M.tests(opts)
  local client, bufnr, args = M.prepare(opts or {})
  if not client or not args then
    return nil
  end
  args.showResult = true
  return runs.start(client, bufnr, 'tests', args, {
    on_result = function(run, err, result)
      if err or not result or result.cancelled then
        return
      end
      -- When the tests were not written the server has said why (window/showMessage).
      if type(result.testUri) == 'string' and result.applied ~= false then
        local tb = vim.uri_to_bufnr(result.testUri)
        local shown =
          vim.tbl_contains(vim.api.nvim_tabpage_list_wins(0), vim.fn.win_findbuf(tb)[1] or -1)
        if not shown then
          local c = vim.lsp.get_client_by_id(run.client_id)
          ui.show_in_split(result.testUri, nil, true, c and c.offset_encoding)
        end
      end
    end,
  })
end

--- The project's custom actions (`.mistral/actions/*.md`, listed by `mistral.listActions`):
--- a menu (`vim.ui.select`) of those that apply to the buffer, unless `opts.id` names one; the
--- chosen one runs as the server's action of its kind (an edit is applied, markdown opens in a
--- split, findings become diagnostics).
---@param opts? mistral.RunOpts|{ id?: string }
function M.custom(opts)
  opts = opts or {}
  local client, bufnr, args = M.prepare(opts)
  if not client or not args then
    return
  end
  runs.execute(client, 'mistral.listActions', { uri = args.uri }, function(err, result)
    local actions = (not err and type(result) == 'table' and result.actions) or {}
    if #actions == 0 then
      ui.notify('no custom action applies to this file (see .mistral/actions and :checkhealth mistral)')
      return
    end
    local function go(choice)
      if not choice then
        return
      end
      args.actionId = choice.id
      args.showResult = choice.kind == 'markdown'
      runs.start(client, bufnr, 'custom', args, {
        on_result = function(_, e, r)
          if e or not r or r.cancelled then
            return
          end
          local n = tonumber(r.diagnostics)
          ui.notify(n and ('%s: %d finding%s'):format(choice.title, n, n == 1 and '' or 's')
            or (r.message or (choice.title .. ': done')))
        end,
      })
    end
    if opts.id then
      go(vim.iter(actions):find(function(a)
        return a.id == opts.id
      end) or ui.notify(('no custom action %q applies to this file'):format(opts.id)))
      return
    end
    vim.ui.select(actions, {
      prompt = 'Mistral action',
      format_item = function(a)
        return 'Mistral: ' .. a.title
      end,
    }, go)
  end, bufnr)
end

return M
