;;; common.el --- shared driver for the Emacs real-client tests (eglot, lsp-mode)  -*- lexical-binding: t -*-
;; emacs --batch -l common.el -l ~/.emacs.d/init.el -l eglot.el (or lsp-mode.el): Debian's
;; site-start has put the elpa packages on the load path, as for any user; init.el is the block
;; of docs/clients.md marked for the client, as written. The test passes its paths through the
;; environment; every result goes into a JSON report the Python test reads. Waiting is always
;; for a condition (buffer text, a file, a message), with a deadline.

(require 'cl-lib)
(require 'json)

(defvar mt-report nil "Alist of results, written as JSON at the end.")
(defvar mt-messages nil "Every message shown in the echo area, newest first.")
(defvar mt-errors nil "Errors signalled by the client while running an action.")

(defvar mt-questions nil "Questions the client asked; the user answers yes.")
(advice-add 'y-or-n-p :override (lambda (prompt) (push prompt mt-questions) t))
(advice-add 'yes-or-no-p :override (lambda (prompt) (push prompt mt-questions) t))

(defun mt-env (name) (or (getenv name) (error "missing environment variable %s" name)))

(defun mt-record (key value) (push (cons key value) mt-report))

(advice-add 'message :around
            (lambda (orig fmt &rest args)
              (let ((text (and fmt (apply #'format-message fmt args))))
                (when text (push text mt-messages))
                (apply orig fmt args))))

(defun mt-wait (predicate seconds what)
  "Wait until PREDICATE returns non-nil, processing the server's messages; record a timeout."
  (let ((deadline (+ (float-time) seconds)) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless value
      (push (format "timed out waiting for %s" what) mt-errors)
      (message "MT-ERROR %s" (car mt-errors)))
    value))

(defun mt-messages-matching (regexp)
  (cl-remove-if-not (lambda (m) (string-match-p regexp m)) (reverse mt-messages)))

(defun mt-file-text (path)
  (when (file-exists-p path)
    (with-temp-buffer (insert-file-contents path) (buffer-string))))

(defun mt-line-pos (line)
  "Position of the first non-blank character of 1-based LINE."
  (save-excursion (goto-char (point-min)) (forward-line (1- line)) (back-to-indentation) (point)))

(defun mt-pick (titles want)
  "The first of TITLES starting with WANT."
  (cl-find-if (lambda (title) (string-prefix-p want title)) titles))

(defconst mt-added-test "\n\ndef test_round_up_whole():\n    assert round_up(2) == 2\n"
  "What the user adds to the generated tests before saving them.")

(defun mt-tests-on-disk-then-save (test-file)
  "Record TEST-FILE as on disk once it holds something; then, as the user, open it (C-x C-f),
add a test at its end and save it (C-x C-s), recording every question Emacs asks on the way
and what the file then holds."
  (mt-wait (lambda () (let ((text (mt-file-text test-file))) (and text (> (length text) 0))))
           20 "the tests on disk")
  (mt-record "test_file" (mt-file-text test-file))
  (let ((before mt-questions))
    (mt-step "saving the tests"
      (with-current-buffer (find-file-noselect test-file)
        (goto-char (point-max))
        (insert mt-added-test)
        (save-buffer)
        (kill-buffer)))
    (mt-record "questions_on_saving_tests"
               (vconcat (reverse (cl-ldiff mt-questions before))))
    (mt-record "test_file_saved" (mt-file-text test-file))))

(defun mt-server-stderr ()
  "What the server wrote to stderr, as the client keeps it (its *... stderr* buffer)."
  (mapconcat (lambda (buffer) (with-current-buffer buffer (buffer-string)))
             (cl-remove-if-not (lambda (b) (string-match-p "stderr\\*" (buffer-name b))) (buffer-list))
             "\n"))

(defun mt-write-report ()
  (unless (assoc "server_stderr" mt-report) (mt-record "server_stderr" (mt-server-stderr)))
  (mt-record "errors" (vconcat (reverse mt-errors)))
  (mt-record "messages" (vconcat (reverse mt-messages)))
  (mt-record "questions" (vconcat (reverse mt-questions)))
  (with-temp-file (mt-env "MT_REPORT")
    (insert (json-encode mt-report))))

(defmacro mt-step (name &rest body)
  "Run BODY; an error is recorded (with NAME) instead of ending the session."
  `(condition-case err (progn ,@body)
     (error (push (format "%s: %s" ,name (error-message-string err)) mt-errors)
            (message "MT-ERROR %s" (car mt-errors)))))

(defun mt-log-errors-of (function)
  "Record errors FUNCTION signals (the client answers the server with a bare JSON-RPC error)."
  (advice-add function :around
              (lambda (orig &rest args)
                (condition-case err (apply orig args)
                  (error (message "MT-CLIENT-ERROR %s: %S" function err)
                         (signal (car err) (cdr err)))))))

(defun mt-explain-slow-fix-and-error ()
  "Steps every client driver shares, in the current buffer: explain is visible, an answer that
takes 15 s lands (no request timeout), and an API error is shown."
  (mt-run-action "Mistral: Explain" (mt-line-pos 9))
  (mt-wait (lambda () (mt-messages-matching "explanation of")) 60 "the explanation")
  (let ((before (buffer-string)))
    (mt-run-action "Mistral: Fix" (mt-line-pos 14))
    (mt-wait (lambda () (not (equal (buffer-string) before))) 40 "the slow fix")
    (mt-record "after_slow_fix" (buffer-string)))
  (mt-run-action "Mistral: Explain" (mt-line-pos 14))
  (mt-wait (lambda () (mt-messages-matching "failed")) 20 "the API error"))

(defun mt-ask-and-follow-up (pos)
  "At POS, as the user: C-c m a with a question, then C-u C-c m a with a follow-up; each
answer is awaited as its message."
  (goto-char pos)
  (dolist (step '(("Why is the discount divided by 10?" nil) ("How do I fix it?" (4))))
    (let ((answers (length (mt-messages-matching "answer about")))
          (current-prefix-arg (cadr step)))
      (cl-letf (((symbol-function 'read-string) (lambda (&rest _) (car step))))
        (mt-step "ask" (call-interactively (key-binding (kbd "C-c m a")))))
      (mt-wait (lambda () (> (length (mt-messages-matching "answer about")) answers)) 20 "the answer")))
  (mt-record "answers" (vconcat (mt-messages-matching "answer about"))))

(provide 'mt-common)
