--- Runs of the server's actions: `workspace/executeCommand` requests with a client-chosen id, the
--- `mistral/stream` notifications and `$/progress` that belong to them, and the
--- `User MistralRequestStarted` / `MistralRequestFinished` autocmds.
local M = {}

local config = require('mistral.config')
local protocol = require('mistral.protocol')

---@class mistral.RunHandlers
---@field on_delta? fun(run: mistral.Run, delta: string)
---@field on_stream_done? fun(run: mistral.Run, params: mistral.protocol.StreamNotification)
---@field on_progress? fun(run: mistral.Run, message: string)
---@field on_lookup? fun(run: mistral.Run, line: string) A tool lookup the model made (stream `lookup`).
---@field on_result? fun(run: mistral.Run, err: lsp.ResponseError?, result: mistral.protocol.ActionResult?)

---@class mistral.Run
---@field id string
---@field action mistral.Action
---@field uri string
---@field bufnr integer
---@field client_id integer
---@field request_id? integer
---@field text string Answer text streamed so far.
---@field status string Last progress message.
---@field lookups string[] The tool lookups streamed so far (`mistral/stream` `lookup`).
---@field streaming boolean
---@field finished boolean
---@field handlers mistral.RunHandlers

---@type table<string, mistral.Run>
M.active = {}

local counter = 0

---@return string
local function new_id()
  counter = counter + 1
  return ('nvim-%d-%d'):format(vim.fn.getpid(), counter)
end

---@param pattern string
---@param data table
local function fire(pattern, data)
  vim.api.nvim_exec_autocmds('User', { pattern = pattern, modeline = false, data = data })
end

--- The mistral client attached to `bufnr`; waits up to 10 s for one that is still initializing.
---@param bufnr integer
---@return vim.lsp.Client?
function M.client(bufnr)
  local function find(uninitialized)
    return vim.lsp.get_clients({ bufnr = bufnr, name = config.name, _uninitialized = uninitialized })[1]
  end
  local client = find(false)
  if not client and find(true) then
    vim.wait(10000, function()
      return find(false) ~= nil
    end, 20)
    client = find(false)
  end
  return client
end

--- Any running mistral client (for commands that are not about one buffer).
---@return vim.lsp.Client[]
function M.all_clients()
  return vim.lsp.get_clients({ name = config.name })
end

---@param err lsp.ResponseError?
---@return string?
local function err_message(err)
  if not err then
    return nil
  end
  return type(err) == 'table' and err.message or tostring(err)
end

---@param run mistral.Run
---@param err lsp.ResponseError?
---@param result table?
local function finish(run, err, result)
  if run.finished then
    return
  end
  run.finished = true
  M.active[run.id] = nil
  fire('MistralRequestFinished', {
    id = run.id,
    action = run.action,
    uri = run.uri,
    bufnr = run.bufnr,
    error = err_message(err),
    cancelled = (result and result.cancelled) or nil,
    result = result,
  })
  if run.handlers.on_result then
    run.handlers.on_result(run, err, result)
  end
end

--- Runs an action on the server.
---@param client vim.lsp.Client
---@param bufnr integer
---@param action mistral.Action
---@param args mistral.protocol.ActionArguments
---@param handlers? mistral.RunHandlers
---@return mistral.Run?
function M.start(client, bufnr, action, args, handlers)
  args = vim.deepcopy(args)
  args.id = args.id or new_id()
  ---@type mistral.Run
  local run = {
    id = args.id,
    action = action,
    uri = args.uri,
    bufnr = bufnr,
    client_id = client.id,
    text = '',
    status = 'starting',
    lookups = {},
    streaming = true,
    finished = false,
    handlers = handlers or {},
  }
  M.active[run.id] = run
  fire('MistralRequestStarted', { id = run.id, action = action, uri = run.uri, bufnr = bufnr })
  local ok, request_id = client:request('workspace/executeCommand', {
    -- A project's custom action (`.mistral/actions`) runs through `mistral.custom`.
    command = protocol.action[action] and protocol.action[action].command or 'mistral.custom',
    arguments = { args },
    workDoneToken = 'mistral/' .. run.id,
  }, function(err, result)
    finish(run, err, result)
  end, bufnr)
  if not ok then
    finish(run, { code = -32803, message = 'mistral-lsp has shut down' }, nil)
    return nil
  end
  run.request_id = request_id
  return run
end

--- Handler of the `mistral/stream` notification.
---@param params mistral.protocol.StreamNotification
function M.on_stream(_, params, _)
  local run = params and M.active[params.id]
  if not run then
    return
  end
  if type(params.lookup) == 'string' then
    run.lookups[#run.lookups + 1] = params.lookup
    if run.handlers.on_lookup then
      run.handlers.on_lookup(run, params.lookup)
    end
  end
  if params.delta then
    run.text = run.text .. params.delta
    if run.handlers.on_delta then
      run.handlers.on_delta(run, params.delta)
    end
  end
  if params.done then
    run.streaming = false
    if run.handlers.on_stream_done then
      run.handlers.on_stream_done(run, params)
    end
  end
end

--- Forwards work-done progress of our runs (token `mistral/<id>`) to their handlers.
---@param ev {data: {client_id: integer, params: {token: string|integer, value: table}}}
function M.on_progress(ev)
  local params = ev.data and ev.data.params
  local token = params and params.token
  if type(token) ~= 'string' or token:sub(1, 8) ~= 'mistral/' then
    return
  end
  local run = M.active[token:sub(9)]
  local value = params.value
  if run and type(value) == 'table' and value.message then
    run.status = value.message
    if run.handlers.on_progress then
      run.handlers.on_progress(run, value.message)
    end
  end
end

--- Cancels one run (`id`), or every run of every mistral client.
---@param id? string
---@return integer count of runs asked to stop
function M.cancel(id)
  if id then
    local run = M.active[id]
    local client = run and vim.lsp.get_client_by_id(run.client_id)
    if client then
      -- No bufnr: the buffer may be going away (cancel_buffer runs on BufUnload).
      client:request('workspace/executeCommand', {
        command = protocol.commands.cancel,
        arguments = { { id = id } },
      }, function() end)
      return 1
    end
    return 0
  end
  local n = vim.tbl_count(M.active)
  for _, client in ipairs(M.all_clients()) do
    client:request('workspace/executeCommand', {
      command = protocol.commands.cancel,
      arguments = { vim.empty_dict() },
    }, function() end)
  end
  return n
end

--- Cancels the runs started from `bufnr` (which is being unloaded or wiped out).
---@param bufnr integer
---@return integer count of runs asked to stop
function M.cancel_buffer(bufnr)
  local n = 0
  for id, run in pairs(M.active) do
    if run.bufnr == bufnr then
      n = n + M.cancel(id)
    end
  end
  return n
end

--- Runs a command that is not an action (acceptFix, rejectFix, toggleReviewOnSave, ...).
---@param client vim.lsp.Client
---@param command string
---@param arg? table
---@param callback? fun(err: lsp.ResponseError?, result: any)
---@param bufnr? integer
function M.execute(client, command, arg, callback, bufnr)
  client:request('workspace/executeCommand', {
    command = command,
    arguments = arg and { arg } or nil,
  }, function(err, result)
    if callback then
      callback(err, result)
    end
  end, bufnr)
end

--- Ends the runs of a client that went away.
---@param client_id integer
function M.drop_client(client_id)
  for _, run in pairs(M.active) do
    if run.client_id == client_id then
      finish(run, { code = -32803, message = 'mistral-lsp stopped' }, nil)
    end
  end
end

return M
