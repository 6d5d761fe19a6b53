"""Which indexed files hold an identifier: word → files, kept with the workspace index.

The `references` tool (`lookup.tools`) scans only the files holding the name it is asked about,
instead of every file in rank order. The map is updated whenever the index takes a file's text
(a build, a file event, an edit in the editor, an on-demand resolution), and forgets a file the
index forgets. An entry the index takes without reading its text (reused from the saved index
at a restart) makes the file *unknown*: it is a candidate for every word until a scan reads it
(`learn`), so the map never hides a use.

Memory is kept small: words and files are numbered, each word's files are an `array` of file
numbers and each file's words an `array` of word numbers (what a removal needs); identifiers
shorter than `MIN_WORD` are not kept (a lookup of one scans as before). On Go's standard
library (5,555 files, 72 MB) it holds about 1.7 million (word, file) pairs.

Pure: no pygls. Thread-safe: the index builds in a worker thread while tools read.
"""

from __future__ import annotations

import re
import sys
import threading
from array import array

MIN_WORD = 3
_WORD = re.compile(rf"[A-Za-z_$][\w$]{{{MIN_WORD - 1},}}")


class WordMap:
    """See the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._file_ids: dict[str, int] = {}
        self._paths: list[str] = []
        """By file number ("" for a number free to reuse)."""
        self._free: list[int] = []
        self._word_ids: dict[str, int] = {}
        self._files_of: list[array[int]] = []
        """By word number: the numbers of the files holding it."""
        self._words_of: dict[int, array[int]] = {}
        """By file number: the numbers of its words."""
        self._unknown: set[str] = set()

    def __len__(self) -> int:
        """The (word, file) pairs held."""
        with self._lock:
            return sum(len(words) for words in self._words_of.values())

    def footprint(self) -> int:
        """Bytes it holds, roughly (containers and words; the paths are the index's)."""
        with self._lock:
            arrays = sum(map(sys.getsizeof, self._files_of)) + sum(map(sys.getsizeof, self._words_of.values()))
            words = sum(map(sys.getsizeof, self._word_ids))
            containers = sum(map(sys.getsizeof, (self._word_ids, self._files_of, self._words_of, self._file_ids,
                                                 self._paths, self._unknown)))
            return arrays + words + containers

    def add(self, path: str, text: str) -> None:
        """`path` now holds the identifiers of `text` (replacing what it held)."""
        words = set(_WORD.findall(text))
        with self._lock:
            self._drop(path)
            self._unknown.discard(path)
            file_id = self._file_id(path)
            ids = array("i")
            for word in words:
                word_id = self._word_ids.get(word)
                if word_id is None:
                    word_id = self._word_ids[sys.intern(word)] = len(self._files_of)
                    self._files_of.append(array("i"))
                self._files_of[word_id].append(file_id)
                ids.append(word_id)
            self._words_of[file_id] = ids

    def unknown(self, path: str) -> None:
        """The index took `path` without its text: a candidate for every word until `learn`."""
        with self._lock:
            self._drop(path)
            self._unknown.add(path)

    def is_unknown(self, path: str) -> bool:
        return path in self._unknown

    def learn(self, path: str, text: str) -> None:
        """`text` was read for an unknown file: keep its words (a no-op for a known file)."""
        if path in self._unknown:
            self.add(path, text)

    def forget(self, path: str) -> None:
        with self._lock:
            self._drop(path)
            self._unknown.discard(path)

    def files_with(self, word: str) -> set[str] | None:
        """The files that may hold `word` as an identifier (those holding it and the unknown
        ones); None when the map cannot tell (a word shorter than `MIN_WORD`)."""
        if len(word) < MIN_WORD:
            return None
        with self._lock:
            found = set(self._unknown)
            word_id = self._word_ids.get(word)
            if word_id is not None:
                paths = self._paths
                found.update(paths[file_id] for file_id in self._files_of[word_id])
            return found

    def _file_id(self, path: str) -> int:
        file_id = self._file_ids.get(path)
        if file_id is not None:
            return file_id
        if self._free:
            file_id = self._free.pop()
            self._paths[file_id] = path
        else:
            file_id = len(self._paths)
            self._paths.append(path)
        self._file_ids[path] = file_id
        return file_id

    def _drop(self, path: str) -> None:
        """Forget the words of `path` and free its number (the lock is held)."""
        file_id = self._file_ids.pop(path, None)
        if file_id is None:
            return
        for word_id in self._words_of.pop(file_id, ()):
            self._files_of[word_id].remove(file_id)
        self._paths[file_id] = ""
        self._free.append(file_id)
