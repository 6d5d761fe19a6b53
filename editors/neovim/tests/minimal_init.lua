-- Minimal init for the plugin's tests: only this plugin on 'runtimepath', no swap, no shada.
-- Used as `nvim --clean -u editors/neovim/tests/minimal_init.lua` with every XDG_* dir in a tmp folder.
local plugin_dir =
  vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(debug.getinfo(1, 'S').source:sub(2))))
vim.opt.runtimepath:prepend(plugin_dir)
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.opt.more = false
-- No remote-plugin providers: `has('python3')` in ftplugin/python.vim would probe for one (~3 s).
for _, provider in ipairs({ 'python3', 'ruby', 'node', 'perl' }) do
  vim.g['loaded_' .. provider .. '_provider'] = 0
end
