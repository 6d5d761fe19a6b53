--- The explanation float as a conversation: Explain and Ask stream their answers into it (with
--- the model's tool lookups in its footer), and each answer can be followed up, in the same float,
--- by `mistral.ask` with the `conversationId` of the last result (docs/protocol.md).
local M = {}

local runs = require('mistral.runs')
local float = require('mistral.float')
local ui = require('mistral.ui')

---@class mistral.Conversation
---@field id? string The `conversationId` of the last answer; nil until one arrived.
---@field client_id integer
---@field bufnr integer The buffer of the code it is about.

---@param f mistral.ExplainFloat
---@return boolean
local function is_open(f)
  return f ~= nil and float.explain_float == f and vim.api.nvim_win_is_valid(f.win)
end

--- Runs one turn: `action` with `args`, its answer streamed into `f`.
---@param f mistral.ExplainFloat
---@param client vim.lsp.Client
---@param action mistral.Action
---@param args table
---@return mistral.Run?
local function run_turn(f, client, action, args)
  local conv = f.conversation --[[@as mistral.Conversation]]
  args.showResult = false
  local run ---@type mistral.Run?
  f.on_close = function()
    if run and not run.finished then
      runs.cancel(run.id)
    end
  end
  run = runs.start(client, conv.bufnr, action, args, {
    on_delta = function(_, delta)
      float.explain_append(f, delta)
    end,
    on_progress = function(_, message)
      float.explain_status(f, message)
    end,
    on_lookup = function(_, line)
      float.explain_lookup(f, line)
    end,
    on_result = function(_, err, result)
      if err or not result or result.cancelled then
        if not conv.id then
          -- Nothing to keep: the float goes. The server's message says why it failed, once.
          float.close_explain(f)
          return
        end
        -- A follow-up failed or was stopped: the earlier answers stay, and can be followed up.
        f.on_follow_up = function()
          M.prompt_follow_up(f)
        end
        float.explain_done(f)
        local inside = vim.api.nvim_get_current_win() == f.win
        float.explain_status(
          f,
          (err and 'failed' or 'stopped')
            .. (inside and ' · a to ask again · q to close' or ' · :Mistral ask to ask again')
        )
        return
      end
      -- The result carries the whole answer; fill in if the stream was incomplete.
      local answer = f.text:sub(f.turn_start + 1)
      if
        type(result.text) == 'string'
        and #result.text > #answer
        and result.text:sub(1, #answer) == answer
      then
        float.explain_append(f, result.text:sub(#answer + 1))
      end
      if type(result.conversationId) == 'string' then
        conv.id = result.conversationId
        f.on_follow_up = function()
          M.prompt_follow_up(f)
        end
      end
      float.explain_done(f, vim.tbl_get(result, 'context', 'lookups'))
    end,
  })
  if run then
    f.run_id = run.id
  end
  return run
end

--- Opens the float for a new conversation and runs its first turn.
---@param title string
---@param client vim.lsp.Client
---@param bufnr integer
---@param action mistral.Action
---@param args table
---@param question? string Shown above the answer.
---@return mistral.Run?
function M.start(title, client, bufnr, action, args, question)
  local f = float.open_explain(title)
  f.conversation = { client_id = client.id, bufnr = bufnr }
  if question then
    float.explain_turn(f, question)
  end
  return run_turn(f, client, action, args)
end

--- Asks `question` as a follow-up of the conversation in `f`.
---@param f mistral.ExplainFloat
---@param question string
---@return mistral.Run?
function M.follow_up(f, question)
  local conv = f.conversation --[[@as mistral.Conversation]]
  local client = vim.lsp.get_client_by_id(conv.client_id)
  if not client or not vim.api.nvim_buf_is_valid(conv.bufnr) then
    ui.notify('the conversation ended with its server or buffer; ask again', vim.log.levels.WARN)
    return nil
  end
  -- No range: the server asks about the conversation's code again, wherever the cursor is now.
  local args = {
    uri = vim.uri_from_bufnr(conv.bufnr),
    range = vim.NIL,
    version = vim.lsp.util.buf_versions[conv.bufnr],
    question = question,
    conversationId = conv.id,
  }
  float.explain_turn(f, question)
  return run_turn(f, client, 'ask', args)
end

--- Asks for a follow-up question (`vim.ui.input`), then asks it; `a` in the float.
---@param f mistral.ExplainFloat
function M.prompt_follow_up(f)
  vim.ui.input({ prompt = 'Follow-up: ' }, function(question)
    question = question and vim.trim(question) or ''
    if question ~= '' and is_open(f) then
      M.follow_up(f, question)
    end
  end)
end

--- The open float whose conversation `:Mistral ask` continues, if any.
---@return mistral.ExplainFloat?
function M.current()
  local f = float.explain_float
  if f and f.conversation and is_open(f) then
    return f
  end
  return nil
end

return M
