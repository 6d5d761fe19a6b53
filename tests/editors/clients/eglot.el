;;; eglot.el --- drive Emacs + eglot (Debian's elpa-eglot) against mistral-lsp  -*- lexical-binding: t -*-
;; emacs -Q --batch -l common.el -l eglot.el ; every action goes through eglot's own
;; `eglot-code-actions' menu, with `completing-read' answering as the user would. The server is
;; the one init.el (docs/clients.md) registered: `mistral-lsp' on $PATH.

(require 'eglot)   ; runs init.el's `with-eval-after-load' (the server program is the doc's)
(require 'python)
(require 'flymake)

(setq eglot-sync-connect t eglot-autoshutdown t)
(mt-log-errors-of 'eglot--apply-workspace-edit)

(defun mt-run-action (want &optional pos)
  "Choose the code action whose title starts with WANT in eglot's menu at POS (or point)."
  (let ((pos (or pos (point))) chosen offered)
    ;; What eglot's idle timer does between a user's commands (idle timers never fire in batch).
    (eglot--signal-textDocument/didChange)
    (goto-char pos)
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt collection &rest _)
                 (setq offered (mapcar #'car collection))
                 (setq chosen (mt-pick offered want)))))
      ;; As `M-x eglot-code-actions' from the keyboard: no region, point only (a mouse event
      ;; would pop a menu instead).
      (let ((last-nonmenu-event ?\r))
        (mt-step want (eglot-code-actions pos nil nil t))))
    (mt-record (concat "offered:" want) (vconcat offered))
    chosen))

(let* ((file (mt-env "MT_FILE"))
       (test-file (mt-env "MT_TEST_FILE"))
       (buffer (find-file-noselect file)))
  (with-current-buffer buffer
    (python-mode)
    (mt-step "connect" (call-interactively #'eglot))
    (mt-wait (lambda () (eglot-current-server)) 20 "eglot to connect")
    (flymake-mode 1)
    (flymake-start)
    (let ((original (buffer-string)))
      ;; 1. the four actions, and Fix landing, undone in one step (the command loop puts an
      ;; undo boundary before each command; batch mode has none)
      (undo-boundary)
      (goto-char (mt-line-pos 10))
      (let ((titles (progn (mt-run-action "Mistral: Fix")
                           (cdr (assoc "offered:Mistral: Fix" mt-report)))))
        (mt-record "actions" titles))
      (mt-wait (lambda () (not (equal (buffer-string) original))) 20 "the fix")
      (mt-record "after_fix" (buffer-string))
      (undo-boundary)
      (mt-step "undo" (undo))
      (mt-record "after_undo" (buffer-string))
      ;; 2. review: diagnostics in flymake, then the suggestion
      (mt-run-action "Mistral: Review" (mt-line-pos 10))
      (mt-wait (lambda () (flymake-diagnostics)) 20 "review diagnostics")
      (mt-record "diagnostics" (vconcat (mapcar #'flymake-diagnostic-text (flymake-diagnostics))))
      (let ((before (buffer-string)))
        (mt-run-action "Mistral: Apply suggestion" (mt-line-pos 10))
        (mt-wait (lambda () (not (equal (buffer-string) before))) 10 "the suggestion")
        (mt-record "after_suggestion" (buffer-string)))
      ;; 3. tests
      (mt-run-action "Mistral: Generate tests" (mt-line-pos 14))
      (mt-tests-on-disk-then-save test-file)
      ;; 4-6. explain, an answer that takes 15 s, an API error
      (mt-explain-slow-fix-and-error)
      ;; 7. ask, then a follow-up, with the documented `C-c m a' / `C-u C-c m a' (init.el)
      (mt-ask-and-follow-up (mt-line-pos 10))
      ;; The shutdown's answer comes after everything the server sent before it, so "shown
      ;; once" is checked on the whole session.
      (set-buffer-modified-p nil)
      (let ((server (eglot-current-server)))
        ;; Everything the server sent, as eglot logged it: no progress, as the doc says.
        (with-current-buffer (jsonrpc-events-buffer server)
          (save-excursion
            (goto-char (point-min))
            (mt-record "events_logged" (if (search-forward "executeCommand" nil t) t :json-false))
            (goto-char (point-min))
            (mt-record "progress_sent"
                       (if (re-search-forward "\\$/progress\\|workDoneProgress/create" nil t) t :json-false))))
        (mt-record "server_stderr" (mt-server-stderr))   ; eglot kills that buffer on shutdown
        (mt-step "shutdown" (eglot-shutdown server))))))
(mt-write-report)
(kill-emacs 0)
