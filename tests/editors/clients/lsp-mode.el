;;; lsp-mode.el --- drive Emacs + lsp-mode (Debian's elpa-lsp-mode) against mistral-lsp  -*- lexical-binding: t -*-
;; emacs --batch -l common.el -l init.el -l lsp-mode.el ; every action goes through lsp-mode's
;; own `lsp-execute-code-action' menu, with `completing-read' answering as the user would. The
;; client is the one init.el (docs/clients.md) registered: `mistral-lsp' on $PATH, an add-on for
;; Python. The settings below only keep the session quiet and self-contained.

(setq lsp-client-packages nil            ; load no other client (none is installed here)
      lsp-keep-workspace-alive nil
      lsp-enable-file-watchers nil
      lsp-headerline-breadcrumb-enable nil
      lsp-modeline-code-actions-enable nil
      lsp-modeline-diagnostics-enable nil
      lsp-modeline-workspace-status-enable nil
      lsp-enable-snippet nil
      lsp-diagnostics-provider :flymake
      lsp-restart 'ignore
      lsp-log-io nil)
(require 'lsp-mode)   ; runs init.el's `with-eval-after-load'
(require 'lsp-diagnostics)   ; lsp-mode's diagnostics UI: Flymake here
(require 'python)
(require 'flymake)

(mt-log-errors-of 'lsp--apply-workspace-edit)

(defun mt-run-action (want &optional pos)
  "Choose the code action whose title starts with WANT in lsp-mode's menu, at POS."
  (let (chosen offered)
    (goto-char (or pos (point)))
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt collection &rest _)
                 (setq offered (mapcar (lambda (c) (if (consp c) (car c) c)) collection))
                 (setq chosen (mt-pick offered want)))))
      (mt-step want (call-interactively #'lsp-execute-code-action)))
    (mt-record (concat "offered:" want) (vconcat offered))
    chosen))

(let* ((file (mt-env "MT_FILE"))
       (test-file (mt-env "MT_TEST_FILE"))
       (buffer (find-file-noselect file)))
  (with-current-buffer buffer
    (python-mode)
    ;; lsp-mode asks for the project root with `read-key'; the user presses `i' to import the
    ;; root it suggests (the git repository's).
    (cl-letf (((symbol-function 'read-key)
               (lambda (prompt &rest _) (push prompt mt-questions) ?i)))
      (mt-step "connect" (lsp)))
    (mt-wait (lambda () (and (lsp-workspaces) (eq (lsp--workspace-status (car (lsp-workspaces))) 'initialized)))
             20 "lsp-mode to connect")
    ;; Flymake's first check waits for a command loop, which batch mode has not: start it.
    (lsp-diagnostics-mode 1)
    (flymake-start)
    (let ((original (buffer-string)))
      ;; 1. the four actions, and Fix landing, undone in one step (the command loop puts an
      ;; undo boundary before each command; batch mode has none)
      (undo-boundary)
      (mt-run-action "Mistral: Fix" (mt-line-pos 10))
      (mt-record "actions" (cdr (assoc "offered:Mistral: Fix" mt-report)))
      (mt-wait (lambda () (not (equal (buffer-string) original))) 20 "the fix")
      (mt-record "after_fix" (buffer-string))
      (undo-boundary)
      (mt-step "undo" (undo))
      (mt-record "after_undo" (buffer-string))
      ;; 2. review: diagnostics, then the suggestion
      (mt-run-action "Mistral: Review" (mt-line-pos 10))
      ;; Flymake asks lsp-mode's backend again when Emacs is idle; batch mode never is.
      (mt-wait (lambda () (flymake-start) (flymake-diagnostics)) 20 "review diagnostics")
      (mt-record "diagnostics" (vconcat (mapcar #'flymake-diagnostic-text (flymake-diagnostics))))
      (let ((before (buffer-string)))
        (mt-run-action "Mistral: Apply suggestion" (mt-line-pos 10))
        (mt-wait (lambda () (not (equal (buffer-string) before))) 10 "the suggestion")
        (mt-record "after_suggestion" (buffer-string)))
      ;; 3. tests: the file on disk holds them, and saving it asks nothing
      (mt-run-action "Mistral: Generate tests" (mt-line-pos 14))
      (mt-tests-on-disk-then-save test-file)
      ;; 4-6. explain, an answer that takes 15 s, an API error
      (mt-explain-slow-fix-and-error)
      ;; 7. ask, then a follow-up, with the documented `C-c m a' / `C-u C-c m a' (init.el)
      (mt-ask-and-follow-up (mt-line-pos 10))
      ;; The shutdown's answer comes after everything the server sent before it.
      (set-buffer-modified-p nil)
      (mt-step "shutdown" (lsp-workspace-shutdown (car (lsp-workspaces)))))))
(mt-write-report)
(kill-emacs 0)
