--- `:Mistral {subcommand}` (with completion and ranges), the `<Plug>` maps, and the client-side
--- handlers of the code actions' commands (`vim.lsp.commands['mistral.fix']`, ...), so that
--- "Mistral: Fix" chosen in `vim.lsp.buf.code_action()` shows the preview.
local M = {}

---@class mistral.Subcommand
---@field run fun(args: vim.api.keyset.create_user_command.command_args)
---@field range? boolean accepts a range
---@field complete? string[]
---@field desc string

--- The RangeSpec of a `:Mistral` call: character-wise when the range is the last visual
--- selection made in `v` mode, else line-wise; nil without a range (the cursor).
---@param a vim.api.keyset.create_user_command.command_args
---@return mistral.RangeSpec?
function M.range_of(a)
  if a.range == 0 then
    return nil
  end
  local s = vim.api.nvim_buf_get_mark(0, '<')
  local e = vim.api.nvim_buf_get_mark(0, '>')
  if a.range == 2 and vim.fn.visualmode() == 'v' and s[1] == a.line1 and e[1] == a.line2 then
    return { start = s, finish = e }
  end
  return { line1 = a.line1, line2 = a.line2 }
end

--- The RangeSpec of the current visual selection (for `x`-mode maps); leaves visual mode.
---@return mistral.RangeSpec
function M.visual_range()
  local mode = vim.fn.mode()
  local v = vim.fn.getpos('v')
  local c = vim.fn.getpos('.')
  vim.api.nvim_feedkeys(vim.keycode('<Esc>'), 'nx', false)
  local s, e = { v[2], v[3] - 1 }, { c[2], c[3] - 1 }
  if s[1] > e[1] or (s[1] == e[1] and s[2] > e[2]) then
    s, e = e, s
  end
  if mode == 'v' then
    return { start = s, finish = e }
  end
  return { line1 = s[1], line2 = e[1] }
end

---@param action mistral.Action
---@return fun(a: vim.api.keyset.create_user_command.command_args)
local function action_cmd(action)
  return function(a)
    require('mistral.actions')[action]({ range = M.range_of(a) })
  end
end

---@type table<string, mistral.Subcommand>
M.subcommands = {
  review = {
    run = action_cmd('review'),
    range = true,
    desc = 'review the file (or the range); findings become diagnostics',
  },
  explain = {
    run = action_cmd('explain'),
    range = true,
    desc = 'explain the code under the cursor (or the range) in a float',
  },
  ask = {
    run = function(a)
      local question = vim.trim((a.args:gsub('^%s*%S+', '', 1)))
      require('mistral.actions').ask({
        range = M.range_of(a),
        question = question ~= '' and question or nil,
      })
    end,
    range = true,
    desc = 'ask about the code under the cursor (or the range); follows up an open answer',
  },
  fix = { run = action_cmd('fix'), range = true, desc = 'propose a fix and preview it' },
  tests = {
    run = action_cmd('tests'),
    range = true,
    desc = 'generate tests and open the test file in a split',
  },
  action = {
    run = function(a)
      require('mistral.actions').custom({ range = M.range_of(a), id = a.fargs[2] })
    end,
    range = true,
    desc = "run one of the project's custom actions (.mistral/actions): a menu, or the id given",
  },
  stop = {
    run = function()
      require('mistral').stop()
    end,
    desc = 'cancel the running requests',
  },
  enter = {
    run = function()
      require('mistral.float').enter_explain()
    end,
    desc = 'move the cursor into the explanation float',
  },
  completion = {
    run = function()
      require('mistral.completion').toggle()
    end,
    desc = 'turn inline completion (ghost text) on or off',
  },
  toggle_review = {
    run = function()
      require('mistral').toggle_review()
    end,
    desc = 'turn review on save on or off for this session',
  },
  accept = {
    run = function(a)
      require('mistral.preview').accept(0, a.fargs[2] == 'all')
    end,
    complete = { 'all' },
    desc = 'accept the previewed fix under the cursor (or all)',
  },
  reject = {
    run = function(a)
      require('mistral.preview').reject(0, a.fargs[2] == 'all')
    end,
    complete = { 'all' },
    desc = 'reject the previewed fix under the cursor (or all)',
  },
  hunks = {
    run = function()
      require('mistral.hunks').quickfix()
    end,
    desc = 'list every pending fix hunk in the quickfix list',
  },
  log = {
    run = function()
      require('mistral').log()
    end,
    desc = 'open the LSP log (the server writes its stderr there)',
  },
  restart = {
    run = function()
      require('mistral').restart()
    end,
    desc = 'restart mistral-lsp (and re-read api_key_cmd)',
  },
}

--- `:Mistral` itself.
---@param a vim.api.keyset.create_user_command.command_args
function M.dispatch(a)
  local name = a.fargs[1]
  local sub = name and M.subcommands[name]
  if not sub then
    local names = vim.tbl_keys(M.subcommands)
    table.sort(names)
    vim.notify(
      ('mistral: %s; use :Mistral {%s}'):format(
        name and ('unknown subcommand %q'):format(name) or 'missing subcommand',
        table.concat(names, '|')
      ),
      vim.log.levels.ERROR
    )
    return
  end
  if a.range > 0 and not sub.range then
    vim.notify(('mistral: :Mistral %s takes no range'):format(name), vim.log.levels.ERROR)
    return
  end
  require('mistral').ensure_setup()
  sub.run(a)
end

---@param arglead string
---@param cmdline string
---@return string[]
function M.complete(arglead, cmdline, _)
  local words = vim.split(cmdline:gsub('^%A*', ''), '%s+', { trimempty = false })
  -- words[1] is "Mistral" (after any range), then the subcommand
  if #words <= 2 then
    local names = vim.tbl_keys(M.subcommands)
    table.sort(names)
    return vim.tbl_filter(function(n)
      return vim.startswith(n, arglead)
    end, names)
  end
  local sub = M.subcommands[words[2]]
  return vim.tbl_filter(function(n)
    return vim.startswith(n, arglead)
  end, sub and sub.complete or {})
end

--- `<Plug>(mistral-*)` maps in normal mode (cursor) and visual mode (selection).
function M.plug_maps()
  for _, spec in ipairs(require('mistral.protocol').actions) do
    local action = spec.name
    -- An action of the protocol the plugin has no flow for yet (ask needs a question prompt).
    if not require('mistral.actions')[action] then
      goto continue
    end
    vim.keymap.set('n', ('<Plug>(mistral-%s)'):format(action), function()
      require('mistral.actions')[action]()
    end, { desc = 'Mistral: ' .. action })
    vim.keymap.set('x', ('<Plug>(mistral-%s)'):format(action), function()
      require('mistral.actions')[action]({ range = M.visual_range() })
    end, { desc = 'Mistral: ' .. action .. ' the selection' })
    ::continue::
  end
  vim.keymap.set('n', '<Plug>(mistral-stop)', function()
    require('mistral').stop()
  end, { desc = 'Mistral: stop' })
  vim.keymap.set('n', '<Plug>(mistral-enter)', function()
    require('mistral.float').enter_explain()
  end, { desc = 'Mistral: enter the explanation float' })
  vim.keymap.set('n', '<Plug>(mistral-accept)', function()
    require('mistral.preview').accept(0, false)
  end, { desc = 'Mistral: accept the fix under the cursor' })
  vim.keymap.set('n', '<Plug>(mistral-reject)', function()
    require('mistral.preview').reject(0, false)
  end, { desc = 'Mistral: reject the fix under the cursor' })
end

--- Maps the user asked for (`keymaps = true` or a table) to the `<Plug>` maps.
---@param keymaps boolean|mistral.Keymaps
function M.user_maps(keymaps)
  if not keymaps then
    return
  end
  local map = keymaps == true and require('mistral.config').suggested_keymaps or keymaps --[[@as mistral.Keymaps]]
  for action, lhs in pairs(map) do
    if lhs then
      local modes = (action == 'stop' or action == 'enter') and { 'n' } or { 'n', 'x' }
      vim.keymap.set(
        modes,
        lhs,
        ('<Plug>(mistral-%s)'):format(action),
        { remap = true, desc = 'Mistral: ' .. action }
      )
    end
  end
end

--- Client-side handlers for the code actions' commands: the plugin's flows instead of the
--- server applying at once.
function M.intercept_code_actions()
  for command, action in pairs(require('mistral.protocol').action_of_command) do
    -- Only the actions the plugin has a flow for; any other goes to the server as it is.
    if not require('mistral.actions')[action] then
      goto continue
    end
    vim.lsp.commands[command] = function(cmd, ctx)
      local args = cmd.arguments and cmd.arguments[1]
      require('mistral.actions')[action]({
        args = args,
        bufnr = ctx.bufnr,
        client_id = ctx.client_id,
      })
    end
    ::continue::
  end
end

return M
