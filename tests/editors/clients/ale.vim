" Drive Vim + ALE (Debian's vim-ale) against mistral-lsp, as the user configured it:
"   vim -N -u ~/.vimrc -i NONE -n -es -S ale.vim
" ~/.vimrc is the block of docs/clients.md marked `<!-- test: ale -->`, as written: it loads ALE,
" defines the linter and finds the project root; nothing here does that for it. Every action
" goes through ALE's own :ALECodeAction menu, answering its prompt as the user would. ALE has no
" workspace/applyEdit: the server writes files itself and says so; the user reloads with
" :checktime. Results go into a JSON report the Python test reads. Waiting is always for a
" condition, with a deadline.

set nomore
set columns=200

" Quiet, and only the linting the steps ask for (none of these changes what ALE sends).
let g:ale_lint_on_text_changed = 'never'
let g:ale_lint_on_insert_leave = 0
let g:ale_echo_cursor = 0
let g:ale_set_highlights = 0
let g:ale_set_signs = 0
let g:ale_virtualtext_cursor = 'disabled'
runtime autoload/ale/util.vim

let g:mt_report = {}
let g:mt_messages = []
let g:mt_errors = []
let g:mt_want = ''
let g:mt_offered = []

" What ALE shows the user (its window/showMessage handler ends here), recorded.
function! ale#util#ShowMessage(string, ...) abort
    call add(g:mt_messages, a:string)
    echo a:string
endfunction

" ALE's code action menu prompt: the user types the number of the wanted action.
function! ale#util#Input(message, value, ...) abort
    let g:mt_offered = []
    for l:line in split(a:message, "\n")
        let l:match = matchlist(l:line, '^\(\d\+\)) \(.*\)$')
        if !empty(l:match)
            call add(g:mt_offered, l:match[2])
        endif
    endfor
    let l:index = 0
    for l:title in g:mt_offered
        let l:index += 1
        if !empty(g:mt_want) && stridx(l:title, g:mt_want) == 0
            return string(l:index)
        endif
    endfor
    return ''
endfunction

function! s:Wait(condition, seconds, what) abort
    let l:start = reltime()
    while !eval(a:condition)
        if reltimefloat(reltime(l:start)) > a:seconds
            " Every later step depends on this one: stop here (the catch below records it).
            throw 'timed out waiting for ' . a:what
        endif
        sleep 50m
    endwhile
    return 1
endfunction

function! s:Text() abort
    return join(getline(1, '$'), "\n") . "\n"
endfunction

function! s:FileText(path) abort
    return filereadable(a:path) ? join(readfile(a:path, 'b'), "\n") : ''
endfunction

" Choose the action whose title starts with `want` at line `line` (cursor on its first word).
function! s:Action(want, line) abort
    call cursor(a:line, 1)
    normal! ^
    let g:mt_want = a:want
    let g:mt_offered = []
    ALECodeAction
    call s:Wait('!empty(g:mt_offered)', 20, 'the code actions for ' . a:want)
    let g:mt_report['offered:' . a:want] = copy(g:mt_offered)
endfunction

function! s:Diagnostics() abort
    return map(copy(ale#engine#GetLoclist(bufnr('%'))), 'v:val.text')
endfunction

try
    execute 'edit ' . fnameescape($MT_FILE)
    let s:original = s:Text()
    let s:on_disk = s:FileText($MT_FILE)

    " 1. the four actions, and Fix: written by the server, reloaded, undone in one step
    call s:Action('Mistral: Fix', 10)
    let g:mt_report.actions = copy(g:mt_offered)
    " The project ALE started the server in: the root the documented `project_root` found.
    let g:mt_report.roots = map(values(ale#lsp#GetConnections()), 'v:val.root')
    call s:Wait('s:FileText($MT_FILE) !=# s:on_disk', 20, 'the fix on disk')
    checktime
    let g:mt_report.after_fix = s:Text()
    undo
    let g:mt_report.after_undo = s:Text()
    silent write

    " 2. review: diagnostics in ALE's list, then the suggestion (a code action edit ALE applies)
    call s:Action('Mistral: Review', 10)
    call s:Wait('!empty(filter(s:Diagnostics(), "v:val =~# ''Discount''"))', 20, 'review diagnostics')
    let g:mt_report.diagnostics = s:Diagnostics()
    let s:before = s:Text()
    call s:Action('Mistral: Apply suggestion', 10)
    call s:Wait('s:Text() !=# s:before', 10, 'the suggestion')
    let g:mt_report.after_suggestion = s:Text()
    silent write

    " 3. tests: a new file the server writes; the user opens it and saves it
    call s:Action('Mistral: Generate tests', 14)
    call s:Wait('!empty(s:FileText($MT_TEST_FILE))', 20, 'the test file')
    let g:mt_report.test_file = s:FileText($MT_TEST_FILE)
    execute 'split ' . fnameescape($MT_TEST_FILE)
    let s:said = execute('write')
    let g:mt_report.questions_on_saving_tests = s:said =~# 'WARNING\|changed' ? [s:said] : []
    close

    " 4. explain
    call s:Action('Mistral: Explain', 9)
    call s:Wait('!empty(filter(copy(g:mt_messages), "v:val =~# ''explanation of''"))', 20, 'the explanation')

    " 5. an answer that takes 15 s
    let s:on_disk = s:FileText($MT_FILE)
    call s:Action('Mistral: Fix', 14)
    call s:Wait('s:FileText($MT_FILE) !=# s:on_disk', 40, 'the slow fix on disk')
    checktime
    let g:mt_report.after_slow_fix = s:Text()

    " 6. an API error, then one more round trip so anything sent after it has arrived
    call s:Action('Mistral: Explain', 14)
    call s:Wait('!empty(filter(copy(g:mt_messages), "v:val =~# ''failed''"))', 20, 'the API error')
    call s:Action('(none)', 14)

    " 7. a fix on a buffer with unsaved changes: refused, and the refusal is shown
    let g:mt_report.saved_before_refusal = s:FileText($MT_FILE)
    call append(0, '# an unsaved line')
    call s:Action('Mistral: Fix', 15)
    call s:Wait('!empty(filter(copy(g:mt_messages), "v:val =~# ''unsaved changes''"))', 20, 'the refusal')
    let g:mt_report.on_disk_after_refusal = s:FileText($MT_FILE)
catch
    call add(g:mt_errors, v:exception . ' at ' . v:throwpoint)
endtry

let g:mt_report.errors = g:mt_errors
let g:mt_report.messages = g:mt_messages
call writefile([json_encode(g:mt_report)], $MT_REPORT)
qall!
