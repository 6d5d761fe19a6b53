-- :Mistral {review|explain|ask|fix|tests|stop|toggle_review|accept|reject|log|restart}
-- :MistralInstall installs the server from this checkout (lua/mistral/install.lua).
-- Only the user command lives here; every module is required when the command runs.
if vim.g.loaded_mistral then
  return
end
vim.g.loaded_mistral = true

if vim.fn.has('nvim-0.11') == 0 then
  vim.api.nvim_create_user_command('Mistral', function()
    vim.notify(
      'mistral.nvim requires Neovim >= 0.11 (vim.lsp.config / vim.lsp.enable)',
      vim.log.levels.ERROR
    )
  end, { nargs = '*', range = true })
  return
end

vim.api.nvim_create_user_command('Mistral', function(args)
  require('mistral.commands').dispatch(args)
end, {
  nargs = '+',
  range = true,
  desc = 'Mistral: review, explain, ask, fix, tests, stop, toggle_review, accept, reject, log, restart',
  complete = function(arglead, cmdline, pos)
    return require('mistral.commands').complete(arglead, cmdline, pos)
  end,
})

vim.api.nvim_create_user_command('MistralInstall', function()
  require('mistral').install()
end, {
  nargs = 0,
  desc = "Mistral: install or update the server from this plugin's checkout, under stdpath('data')",
})
