;;; lsp-mode-tty.el --- lsp-mode's messages as a user sees them, in a terminal Emacs  -*- lexical-binding: t -*-
;; emacs -nw -l lsp-mode-tty.el, in a pseudo-terminal, with ~/.emacs.d/init.el the block of
;; docs/clients.md marked for lsp-mode. Unlike the batch drivers this runs Emacs' own command
;; loop and echo area: the keys `M-x lsp-execute-code-action RET' are typed (queued as input),
;; so Emacs runs them as for a user, key-binding hint included. The report holds every echo
;; area text in the order shown, what the echo area holds 3 s after the explanation arrived
;; (past the 2 s hint), and the *Messages* buffer.

(require 'cl-lib)
(require 'json)
(setq inhibit-startup-screen t
      native-comp-async-report-warnings-errors 'silent)
;; lsp-mode's own settings are left at their defaults: Emacs runs as the user's does, with
;; nothing but the documented init.el.
(require 'lsp-mode)   ; runs init.el's `with-eval-after-load'
(require 'python)

(defvar mt-shown nil "Every text the echo area showed, newest first.")
(defvar mt-deadline (+ (float-time) 60))

(defun mt-finish (&rest fields)
  (with-temp-file (getenv "MT_REPORT")
    (insert (json-encode
             (append fields
                     `(("shown" . ,(vconcat (reverse mt-shown)))
                       ("messages_buffer" . ,(with-current-buffer "*Messages*" (buffer-string))))))))
  (kill-emacs 0))

;; The user picks "Mistral: Explain" in lsp-mode's menu; M-x's own prompt reads the typed keys.
(advice-add 'completing-read :around
            (lambda (orig prompt collection &rest args)
              (let ((explain (and (listp collection)
                                  (cl-find-if (lambda (c) (string-prefix-p "Mistral: Explain" (if (consp c) (car c) c)))
                                              collection))))
                (if explain (if (consp explain) (car explain) explain) (apply orig prompt collection args)))))

;; The test's fake API holds the model's answer until told (POST /_fake/release), so when it
;; reaches Emacs does not depend on how loaded the machine is: after the action's command has
;; returned and the request is in, it is released when M-x starts showing its key hint (the case
;; where the hint erases it), or at once when there is no hint (as documented).
(require 'url)
(defvar mt-fake (getenv "MT_FAKE") "The fake API's control URL.")

(defun mt-chat-requests ()
  "How many chat requests the fake API has received."
  (let ((buffer (url-retrieve-synchronously (concat mt-fake "/_fake/requests") t t 5)))
    (if (not buffer) 0
      (with-current-buffer buffer
        (goto-char (point-min))
        (re-search-forward "\n\n" nil t)
        (prog1 (cl-count-if (lambda (r) (string-match-p "chat/completions" (alist-get 'path r)))
                            (let ((json-array-type 'list)) (json-read)))
          (kill-buffer))))))

(defun mt-release-answer ()
  "Let the held answer go on; asynchronous, so it arrives while Emacs waits, as any answer."
  (let ((url-request-method "POST"))
    (url-retrieve (concat mt-fake "/_fake/release") #'ignore nil t t)))

(advice-add 'lsp-execute-code-action :after
            (lambda (&rest _)
              (while (and (< (mt-chat-requests) 1) (< (float-time) mt-deadline))
                (accept-process-output nil 0.05))
              (unless suggest-key-bindings (mt-release-answer))))

(defvar mt-hint-ended nil "The key-binding hint's wait has returned.")
(advice-add 'sit-for :around
            (lambda (orig &rest args)
              (let ((hint (and (current-message) (string-prefix-p "You can run the command" (current-message)))))
                (when hint   ; shown now, whatever replaces it before the next `mt-watch'
                  (unless (equal (current-message) (car mt-shown)) (push (current-message) mt-shown))
                  (mt-release-answer))
                (prog1 (apply orig args) (when hint (setq mt-hint-ended t))))))

(defvar mt-explained-at nil "When the explanation first reached the echo area.")

(defun mt-hint-p (text) (and text (string-prefix-p "You can run the command" text)))

(defun mt-watch ()
  "Record the echo area as it changes. Finish 3 s after the explanation reached it (longer
than the 2 s hint), once any hint is over: what the echo area holds then is what the user reads."
  (let ((now (current-message)))
    (unless (equal now (car mt-shown)) (push now mt-shown))
    (when (and now (not mt-explained-at) (string-match-p "explanation of" now))
      (setq mt-explained-at (float-time)))
    (cond
     ((> (float-time) mt-deadline) (mt-finish '("error" . "timed out")))
     ((and mt-explained-at (> (float-time) (+ mt-explained-at 3))
           (or mt-hint-ended (not (cl-some #'mt-hint-p mt-shown))))
      (mt-finish `("echo_area_later" . ,now))))))

(defun mt-when-ready ()
  (if (not (and (lsp-workspaces) (eq (lsp--workspace-status (car (lsp-workspaces))) 'initialized)))
      (run-with-timer 0.05 nil #'mt-when-ready)
    (goto-char (point-min)) (forward-line 8) (back-to-indentation)   ; on `def total'
    (setq unread-command-events (listify-key-sequence (kbd "M-x lsp-execute-code-action RET")))
    (run-with-timer 0.05 0.05 #'mt-watch)))

(defun mt-start ()
  (find-file (getenv "MT_FILE"))
  (delete-other-windows)
  (cl-letf (((symbol-function 'read-key) (lambda (&rest _) ?i)))   ; import the git root
    (lsp))
  (mt-when-ready))

(add-hook 'emacs-startup-hook #'mt-start)
