"""The one table of languages: grammar, LSP language ids, file names, and node kinds by role.

Every language-specific fact the syntax code needs is a row here; the code that walks trees
only asks "is this node a function / class / import / ...". Why a table of node kinds rather
than the grammars' `tags.scm`: the wheels do not ship usable tags for all of them (bash has
none; c-sharp's sits outside its package; typescript's only adds to javascript's), and tags
say nothing about what matters here — decorators and `export` that belong to a definition,
namespaces whose members count as top level, imports, docstrings.

Grammars load lazily: importing this module imports neither `tree_sitter` nor a grammar wheel;
`LanguageSpec.grammar()` does, once per language, on the first parse.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import posixpath
import re
import threading
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from mistral_lsp.syntax.masks import C_FAMILY_MASKS, TYPESCRIPT_MASKS, Mask, is_cpp

if TYPE_CHECKING:
    from tree_sitter import Language, Query

log = logging.getLogger(__name__)

# Leaf kinds that name something, besides every kind whose name ends in "identifier". Ruby's
# `:name` symbols too: `respond_to?(:name)`, `send(:name)`, `method(:name)` use `name`.
_NAME_KINDS = ("constant", "name", "word", "variable_name", "simple_symbol")


@dataclasses.dataclass(frozen=True)
class LanguageSpec:
    """How to parse one language and which node kinds play which role."""

    name: str
    """Canonical id, also the markdown fence tag: "python", "typescript", "tsx", "csharp"..."""
    module: str
    """The grammar wheel's module."""
    factory: str
    """The module's function returning the grammar."""
    language_ids: tuple[str, ...]
    """LSP `languageId` values (VS Code's and Neovim's filetypes)."""
    extensions: tuple[str, ...]
    filenames: tuple[str, ...] = ()
    interpreters: tuple[str, ...] = ()
    """Shebang interpreters, for files without an extension."""
    comment: str = "//"
    """Line comment prefix, for notes inside code shown to the model."""
    functions: frozenset[str] = frozenset()
    """Function-like nodes, named or anonymous (lambdas, closures, blocks)."""
    classes: frozenset[str] = frozenset()
    """Class-like containers: classes, structs, interfaces, traits, impl blocks, modules."""
    imports: frozenset[str] = frozenset()
    """Import-like top-level nodes (also package/namespace clauses: the model needs them)."""
    import_pattern: str | None = None
    """Regex on the first line of a top-level statement that makes it an import (`require`)."""
    wrappers: frozenset[str] = frozenset()
    """Nodes that wrap one definition and belong to it: decorators, `export`, `template<>`."""
    assignments: tuple[tuple[str, str], ...] = ()
    """(node kind, field holding the name) for nodes that name an anonymous function assigned
    to them: `const f = () => {}`. An empty field means the first named child."""
    namespaces: frozenset[str] = frozenset()
    """Containers whose members count as top level: namespaces, `#ifdef` blocks, Rust `mod`."""
    leading: frozenset[str] = frozenset()
    """Siblings right before a definition that are part of it (Rust `#[attributes]`)."""
    scope_separators: tuple[str, ...] = ()
    """In a qualified definition name (`Account::deposit`, `Account:deposit`), what separates
    the owner from the member: such a definition is a method of the owner."""
    docstring_in_body: bool = False
    """The docstring is the first string in the body (Python), not comments before."""
    class_needs_body: bool = False
    """A class node without a body is a reference (C's `struct account *a`), not a definition."""
    values: tuple[tuple[str, str], ...] = ()
    """(node kind, field holding the name or names) for named definitions that are neither
    functions nor classes: constants, variables, type aliases, typedefs, macros, enum members.
    An empty field means the first named child; "declarator" follows C declarator chains."""
    value_lists: frozenset[str] = frozenset()
    """Nodes looked into for `values`: `const (...)` blocks, `export`, declarations."""
    parse_masks: tuple[Mask, ...] = ()
    """Bytes overwritten (same length: positions do not move) in what the parser reads, where
    the grammar goes wrong on real code: C++ export macros, say (see `masks`)."""

    def grammar(self) -> Language:
        """The tree-sitter grammar, imported on first use."""
        return _load(self)[0]

    def identifier_query(self) -> Query:
        """A query capturing every leaf that names something (identifiers, constants...)."""
        return _load(self)[1]

    def assignment_fields(self) -> dict[str, str]:
        return dict(self.assignments)

    def is_import_line(self, first_line: str) -> bool:
        return self.import_pattern is not None and re.search(self.import_pattern, first_line) is not None


_C_FAMILY_PREPROC = frozenset({"preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "ERROR"})
"""`#if` blocks, and what error recovery left of one: a macro the grammar cannot expand (a
header guard around `EXPORT_MACRO(x)` with no `;`) turns the rest of the file into an ERROR
node whose children are still the file's definitions."""
_JS_FUNCTIONS = frozenset({
    "function_declaration", "generator_function_declaration", "function_expression",
    "generator_function", "arrow_function", "method_definition",
})
_JS_ASSIGNMENTS = (
    ("variable_declarator", "name"), ("assignment_expression", "left"), ("pair", "key"),
)
_JS_WRAPPERS = frozenset({"export_statement", "lexical_declaration", "variable_declaration", "expression_statement"})
_REQUIRE = r"\brequire\s*\(\s*['\"`]"
_JS_VALUE_LISTS = frozenset({"export_statement", "lexical_declaration", "variable_declaration"})
_C_VALUES = (
    ("preproc_def", "name"), ("preproc_function_def", "name"), ("type_definition", "declarator"),
    ("declaration", "declarator"), ("enumerator", "name"),
)


def _typescript(name: str, factory: str, language_ids: tuple[str, ...], extensions: tuple[str, ...]) -> LanguageSpec:
    return LanguageSpec(
        name=name, module="tree_sitter_typescript", factory=factory,
        language_ids=language_ids, extensions=extensions,
        functions=_JS_FUNCTIONS | {"function_signature", "method_signature", "abstract_method_signature"},
        classes=frozenset({
            "class_declaration", "abstract_class_declaration", "class", "interface_declaration",
            "enum_declaration",
        }),
        imports=frozenset({"import_statement", "import_alias"}),
        import_pattern=_REQUIRE,
        wrappers=_JS_WRAPPERS | {"ambient_declaration"},
        assignments=(*_JS_ASSIGNMENTS, ("public_field_definition", "name")),
        values=(
            ("variable_declarator", "name"), ("public_field_definition", "name"), ("type_alias_declaration", "name"),
            ("enum_assignment", "name"), ("property_identifier", "."),
        ),
        value_lists=_JS_VALUE_LISTS | {"ambient_declaration"},
        namespaces=frozenset({"internal_module", "module"}),
        parse_masks=TYPESCRIPT_MASKS if name == "typescript" else (),  # in TSX, `<X>(` may be JSX
    )


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        name="python", module="tree_sitter_python", factory="language",
        language_ids=("python",), extensions=(".py", ".pyi", ".pyw"),
        interpreters=("python", "python3", "python2", "pypy", "pypy3"), comment="#",
        functions=frozenset({"function_definition", "lambda"}),
        classes=frozenset({"class_definition"}),
        imports=frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
        wrappers=frozenset({"decorated_definition", "expression_statement"}),
        assignments=(("assignment", "left"),),
        docstring_in_body=True,
        values=(("assignment", "left"), ("type_alias_statement", "left")),
        value_lists=frozenset({"expression_statement"}),
    ),
    LanguageSpec(
        name="javascript", module="tree_sitter_javascript", factory="language",
        language_ids=("javascript", "javascriptreact", "js", "jsx"),
        extensions=(".js", ".mjs", ".cjs", ".jsx"), interpreters=("node", "nodejs", "deno", "bun"),
        functions=_JS_FUNCTIONS,
        classes=frozenset({"class_declaration", "class"}),
        imports=frozenset({"import_statement"}),
        import_pattern=_REQUIRE,
        wrappers=_JS_WRAPPERS,
        assignments=(*_JS_ASSIGNMENTS, ("field_definition", "property")),
        values=(("variable_declarator", "name"), ("field_definition", "property")),
        value_lists=_JS_VALUE_LISTS,
    ),
    _typescript("typescript", "language_typescript", ("typescript", "ts"), (".ts", ".mts", ".cts")),
    _typescript("tsx", "language_tsx", ("typescriptreact",), (".tsx",)),
    LanguageSpec(
        name="go", module="tree_sitter_go", factory="language",
        language_ids=("go",), extensions=(".go",),
        functions=frozenset({"function_declaration", "method_declaration", "func_literal"}),
        classes=frozenset({"type_spec"}),
        imports=frozenset({"import_declaration", "package_clause"}),
        wrappers=frozenset({"type_declaration"}),
        values=(("const_spec", "name"), ("var_spec", "name"), ("type_alias", "name")),
        value_lists=frozenset({"const_declaration", "var_declaration", "var_spec_list", "type_declaration"}),
    ),
    LanguageSpec(
        name="rust", module="tree_sitter_rust", factory="language",
        language_ids=("rust",), extensions=(".rs",),
        functions=frozenset({"function_item", "function_signature_item", "closure_expression"}),
        classes=frozenset({"struct_item", "enum_item", "union_item", "trait_item", "impl_item"}),
        imports=frozenset({"use_declaration", "extern_crate_declaration", "mod_item"}),
        namespaces=frozenset({"mod_item", "foreign_mod_item"}),
        leading=frozenset({"attribute_item"}),
        values=(
            ("const_item", "name"), ("static_item", "name"), ("type_item", "name"), ("macro_definition", "name"),
            ("enum_variant", "name"),
        ),
    ),
    LanguageSpec(
        name="java", module="tree_sitter_java", factory="language",
        language_ids=("java",), extensions=(".java",),
        functions=frozenset({
            "method_declaration", "constructor_declaration", "compact_constructor_declaration",
            "lambda_expression",
        }),
        classes=frozenset({
            "class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
            "annotation_type_declaration",
        }),
        imports=frozenset({"import_declaration", "package_declaration"}),
        values=(("variable_declarator", "name"), ("enum_constant", "name")),
        value_lists=frozenset({"field_declaration", "constant_declaration"}),
    ),
    LanguageSpec(
        name="c", module="tree_sitter_c", factory="language",
        language_ids=("c",), extensions=(".c", ".h"),
        functions=frozenset({"function_definition"}),
        classes=frozenset({"struct_specifier", "union_specifier", "enum_specifier"}),
        imports=frozenset({"preproc_include"}),
        wrappers=frozenset({"type_definition"}),
        assignments=(("type_definition", "declarator"),),
        namespaces=_C_FAMILY_PREPROC,
        class_needs_body=True,
        values=_C_VALUES,
        parse_masks=C_FAMILY_MASKS,
    ),
    LanguageSpec(
        name="cpp", module="tree_sitter_cpp", factory="language",
        language_ids=("cpp", "c++", "cuda", "arduino"),
        extensions=(".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".inl", ".tpp", ".ino"),
        functions=frozenset({"function_definition", "lambda_expression"}),
        classes=frozenset({"class_specifier", "struct_specifier", "union_specifier", "enum_specifier"}),
        imports=frozenset({"preproc_include", "using_declaration"}),
        wrappers=frozenset({"template_declaration", "type_definition", "field_declaration"}),  # a member `enum {...};`
        assignments=(("type_definition", "declarator"),),
        namespaces=_C_FAMILY_PREPROC | {"namespace_definition", "linkage_specification"},
        scope_separators=("::",),
        class_needs_body=True,
        values=(*_C_VALUES, ("alias_declaration", "name")),
        value_lists=frozenset({"template_declaration"}),  # `template <class T> using X = ...;`
        parse_masks=C_FAMILY_MASKS,
    ),
    LanguageSpec(
        name="csharp", module="tree_sitter_c_sharp", factory="language",
        language_ids=("csharp", "cs", "c#", "c-sharp", "c_sharp"), extensions=(".cs", ".csx"),
        functions=frozenset({
            "method_declaration", "constructor_declaration", "destructor_declaration",
            "operator_declaration", "conversion_operator_declaration", "local_function_statement",
            "lambda_expression", "anonymous_method_expression",
        }),
        classes=frozenset({
            "class_declaration", "struct_declaration", "interface_declaration", "record_declaration",
            "enum_declaration",
        }),
        imports=frozenset({"using_directive", "extern_alias_directive", "file_scoped_namespace_declaration"}),
        namespaces=frozenset({"namespace_declaration"}),
        values=(
            ("variable_declarator", "name"), ("property_declaration", "name"), ("delegate_declaration", "name"),
            ("enum_member_declaration", "name"),
        ),
        value_lists=frozenset({"field_declaration", "event_field_declaration", "variable_declaration"}),
    ),
    LanguageSpec(
        name="ruby", module="tree_sitter_ruby", factory="language",
        language_ids=("ruby",), extensions=(".rb", ".rake", ".gemspec", ".ru"),
        filenames=("Rakefile", "Gemfile", "Guardfile", "Vagrantfile"), interpreters=("ruby",), comment="#",
        functions=frozenset({"method", "singleton_method", "lambda", "block", "do_block"}),
        classes=frozenset({"class", "module", "singleton_class"}),
        import_pattern=r"^\s*(require|require_relative|load|autoload)\b",
        assignments=(("assignment", "left"),),
        # `unless X.respond_to?(:y) then def X.y ... end`, `begin A = ... rescue A = {} end`: what a
        # condition or a rescue defines is still the file's (or the class's).
        namespaces=frozenset({"if", "unless", "then", "elsif", "else", "begin", "rescue", "ensure"}),
        wrappers=frozenset({"if_modifier", "unless_modifier"}),  # `module X ... end if defined?(Y)`
        scope_separators=(".",),
        values=(("assignment", "left"),),
    ),
    LanguageSpec(
        name="php", module="tree_sitter_php", factory="language_php",
        language_ids=("php",), extensions=(".php", ".phtml", ".php8", ".php7", ".inc"), interpreters=("php",),
        functions=frozenset({"function_definition", "method_declaration", "anonymous_function", "arrow_function"}),
        classes=frozenset({"class_declaration", "interface_declaration", "trait_declaration", "enum_declaration"}),
        imports=frozenset({"namespace_use_declaration", "namespace_definition"}),
        import_pattern=r"^\s*(require|require_once|include|include_once)\b",
        wrappers=frozenset({"expression_statement"}),
        assignments=(("assignment_expression", "left"),),
        namespaces=frozenset({"namespace_definition"}),
        values=(("const_element", ""), ("enum_case", "name"), ("property_element", "name")),
        value_lists=frozenset({"const_declaration", "property_declaration"}),
    ),
    LanguageSpec(
        name="lua", module="tree_sitter_lua", factory="language",
        language_ids=("lua",), extensions=(".lua",), interpreters=("lua", "luajit"), comment="--",
        functions=frozenset({"function_declaration", "function_definition"}),
        import_pattern=r"\brequire\s*\(?\s*['\"]",
        wrappers=frozenset({"variable_declaration", "expression_list"}),
        assignments=(("assignment_statement", ""),),
        scope_separators=(":", "."),
        namespaces=frozenset({"do_statement"}),
        values=(("variable_list", "name"),),
        value_lists=frozenset({"variable_declaration", "assignment_statement"}),
    ),
    LanguageSpec(
        name="bash", module="tree_sitter_bash", factory="language",
        language_ids=("shellscript", "sh", "bash", "zsh", "ksh"),
        extensions=(".sh", ".bash", ".bats", ".zsh", ".ksh"),
        filenames=(".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile", "PKGBUILD"),
        interpreters=("sh", "bash", "zsh", "ksh", "dash"), comment="#",
        functions=frozenset({"function_definition"}),
        wrappers=frozenset({"list"}),  # bash-completion's `_f() { ... } && complete -F _f cmd`
        namespaces=frozenset({"if_statement", "elif_clause", "else_clause"}),  # `if ! type f; then f() {...}`
        values=(("variable_assignment", "name"),),
        value_lists=frozenset({"declaration_command"}),
        import_pattern=r"^\s*(source|\.)\s+\S",
    ),
)

_BY_ID = {lid: spec for spec in LANGUAGES for lid in (spec.name, *spec.language_ids)}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}
_BY_FILENAME = {name: spec for spec in LANGUAGES for name in spec.filenames}
_BY_INTERPRETER = {name: spec for spec in LANGUAGES for name in spec.interpreters}
_SHEBANG = re.compile(r"^#!\s*(?:\S*/)?(?:env\s+(?:-\S+\s+)*)?([\w.+-]+)")


def spec_by_id(language_id: str) -> LanguageSpec | None:
    """The language of an LSP `languageId` (or our own name), else None."""
    return _BY_ID.get(language_id.strip().lower()) if language_id else None


def language_for(language_id: str = "", uri: str = "", first_line: str = "", text: str = "") -> LanguageSpec | None:
    """The language from the LSP `languageId`, else the file name, else a shebang line; a C
    header whose `text` is C++ is C++ (see `masks.is_cpp`)."""
    name = posixpath.basename(unquote(urlsplit(uri).path) if "://" in uri else uri.replace("\\", "/"))
    spec = spec_by_id(language_id) or _BY_FILENAME.get(name) or _by_extension(name)
    if spec is not None:
        return _header_language(spec, name, text)
    return _by_shebang(first_line)


def _by_extension(name: str) -> LanguageSpec | None:
    """The language of the file name's extension (`.bashrc` has none: it is all name)."""
    dot = name.rfind(".")
    if dot > 0 or (dot == 0 and name.count(".") > 1):
        return _BY_EXTENSION.get(name[dot:].lower())
    return None


def _header_language(spec: LanguageSpec, name: str, text: str) -> LanguageSpec:
    """C++ for a `.h` file said to be C whose text is C++ (editors call every `.h` C)."""
    return _BY_ID["cpp"] if spec.name == "c" and name.lower().endswith(".h") and is_cpp(text) else spec


def _by_shebang(first_line: str) -> LanguageSpec | None:
    """The language of a `#!` line's interpreter (`python3.12` is `python`)."""
    match = _SHEBANG.match(first_line)
    if match is None:
        return None
    interpreter = re.sub(r"[\d.]+$", "", match.group(1)) or match.group(1)
    return _BY_INTERPRETER.get(match.group(1)) or _BY_INTERPRETER.get(interpreter)


_loaded: dict[str, tuple[Language, Query]] = {}
_load_lock = threading.Lock()


def _load(spec: LanguageSpec) -> tuple[Language, Query]:
    loaded = _loaded.get(spec.name)
    if loaded is not None:
        return loaded
    with _load_lock:
        loaded = _loaded.get(spec.name)
        if loaded is None:
            from tree_sitter import Language

            module = _import_grammar(spec.module)
            language = Language(getattr(module, spec.factory)())
            loaded = (language, _identifier_query(language))
            _loaded[spec.name] = loaded
    return loaded


_IMPORT_ATTEMPTS = 3


def _import_grammar(name: str) -> ModuleType:
    """The grammar's module, imported even when another thread's import crossed this one.

    A grammar package imports more modules as it loads (`importlib.resources`…); when another
    thread is importing one of them at that moment, importlib may break the wait with its
    `_DeadlockError` (seen right after a server restart: the document's parse and the index
    build started together) and leaves nothing half-imported, so trying again is safe."""
    for attempt in range(1, _IMPORT_ATTEMPTS + 1):
        try:
            return importlib.import_module(name)
        except RuntimeError as error:
            if type(error).__name__ != "_DeadlockError" or attempt == _IMPORT_ATTEMPTS:
                raise
            log.info("importing %s crossed another thread's import (%s); trying again", name, error)
    raise AssertionError("unreachable")


def _identifier_query(language: Language) -> Query:
    from tree_sitter import Query, QueryError

    kinds = set()
    for kind_id in range(language.node_kind_count):
        kind = language.node_kind_for_id(kind_id)
        if (
            kind
            and language.node_kind_is_named(kind_id)
            and language.node_kind_is_visible(kind_id)
            and (kind.endswith("identifier") or kind in _NAME_KINDS)
        ):
            kinds.add(kind)
    query: Query
    try:
        query = Query(language, "[" + " ".join(f"({kind})" for kind in sorted(kinds)) + "] @name")
    except QueryError:
        # A kind a query cannot name (a supertype, say): keep those it can.
        usable = []
        for kind in sorted(kinds):
            try:
                Query(language, f"({kind}) @name")
            except QueryError:
                continue
            usable.append(kind)
        query = Query(language, "[" + " ".join(f"({kind})" for kind in usable) + "] @name")
    return query
