package bot

import (
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rasad-gov/rasad/domain"
)

// Every error code the module can produce must have a sentence in every
// language, or the user is told only "That input is not valid." The codes
// are read from the module's own source, so a new code cannot be added
// without its sentence.
func TestEveryErrorCodeHasASentence(t *testing.T) {
	codes, problems := deriveErrorCodes("..", errorCodeDirs)
	for _, p := range problems {
		t.Error(p)
	}
	// One code per way a code is made, so a broken derivation cannot pass
	// by finding nothing: a literal, a constant, a parameter of a helper,
	// the code of another error, and a field table read at run time.
	for _, code := range []string{"nationalid.checksum", domain.ErrDuplicate, "gender.missing", "activity.short", "kind.unknown"} {
		if _, ok := codes[code]; !ok {
			t.Errorf("derivation did not find %q", code)
		}
	}
	cat, err := LoadCatalogue("fa", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range slices.Sorted(maps.Keys(codes)) {
		for _, lang := range Languages {
			if _, ok := cat.texts[lang]["err."+code]; !ok {
				t.Errorf("%s.json lacks %q (code made at %s)", lang, "err."+code, strings.Join(codes[code], ", "))
			}
		}
	}
}

// Every "err." sentence in the catalogues is said for something: a code
// the module produces, a kind, or a key the code names itself.
func TestEveryErrorSentenceIsUsed(t *testing.T) {
	codes, problems := deriveErrorCodes("..", errorCodeDirs)
	if len(problems) > 0 {
		t.Skip("codes not derived; see TestEveryErrorCodeHasASentence")
	}
	used := map[string]bool{}
	for code := range codes {
		used["err."+code] = true
	}
	for k := domain.KindInternal; k <= domain.KindForbidden; k++ {
		used["err."+strings.ReplaceAll(k.String(), " ", "")] = true
	}
	keys, err := errKeysNamed("..", errorCodeDirs)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		used[k] = true
	}
	cat, err := LoadCatalogue("fa", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages {
		for _, k := range slices.Sorted(maps.Keys(cat.texts[lang])) {
			if strings.HasPrefix(k, "err.") && !used[k] {
				t.Errorf("%s.json: %q is the sentence of no code the module produces", lang, k)
			}
		}
	}
}

// The derivation refuses what it cannot follow rather than skipping it.
func TestErrorCodeDerivationRefusesWhatItCannotFollow(t *testing.T) {
	root := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	write("domain/errors.go", `package domain

type Kind int

const KindInvalid Kind = 1

type Error struct {
	Kind Kind
	Code string
	Err  error
}

func Invalid(code string) error { return &Error{Kind: KindInvalid, Code: code} }
func CodeOf(err error) string   { return "" }

const ErrLate = "x.late"

func field(f string) error { return Invalid(f + ".missing") }

func parse(s string) (string, error) {
	if s == "" {
		return "", Invalid("text.short")
	}
	return s, nil
}

func Check(a, b string) error {
	if err := field("a"); err != nil {
		return err
	}
	if _, err := parse(a); err != nil {
		return Invalid("b." + CodeOf(err))
	}
	return nil
}
`)
	write("app/app.go", `package app

import (
	"fmt"

	d "example.com/m/domain"
)

var table = map[int]string{1: "x.one"}

func F(n int) error {
	switch n {
	case 0:
		return d.Invalid("x.literal")
	case 1:
		return d.Invalid(d.ErrLate)
	case 2:
		return d.Invalid(fmt.Sprintf("x.%d", n))
	case 3:
		return d.Invalid(table[n])
	case 4:
		return &d.Error{Code: "x.lit"}
	}
	g := d.Invalid
	return g("x.hidden")
}

func G() error {
	e := &d.Error{}
	e.Code = "x.set"
	return e
}
`)
	codes, problems := deriveErrorCodes(root, []string{"domain", "app"})
	for _, want := range []string{"x.literal", "x.late", "a.missing", "b.text.short", "x.lit"} {
		if _, ok := codes[want]; !ok {
			t.Errorf("did not derive %q; got %v", want, slices.Sorted(maps.Keys(codes)))
		}
	}
	for _, want := range []string{`fmt.Sprintf("x.%d", n)`, "table[n]", "used as a value", "e.Code sets"} {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("no problem reported for %s; got %q", want, problems)
		}
	}
}

// errorCodeDirs are the module's directories whose code makes errors a
// user may see, with everything under them.
var errorCodeDirs = []string{"domain", "storage", "bot", "cmd"}

// errorCodeRules derive the codes of expressions the general rules cannot
// follow, keyed by "package.function: expression". A rule checks the
// surroundings it relies on and reports a change rather than guess.
var errorCodeRules = map[string]func(x *codeDeriver, f *srcFile, e ast.Expr) ([]string, error){
	// A choice field without a check of its own: "<Key>.missing" and
	// "<Key>.unknown" (domain.PlacementField.check's oneOf).
	"domain.check: f.Key": func(x *codeDeriver, f *srcFile, e ast.Expr) ([]string, error) {
		if err := fieldRuleHolds(x, f, e, "f.Choices != nil"); err != nil {
			return nil, err
		}
		var keys []string
		for _, pf := range domain.PlacementFields {
			if pf.Choices != nil && pf.Check == nil {
				keys = append(keys, pf.Key)
			}
		}
		return keys, nil
	},
	// A sheet's cell matching none of its choice field's choices, with no
	// Parse to try: "<Key>.unknown" (cellValue).
	"bot.cellValue: f.Key": func(x *codeDeriver, f *srcFile, e ast.Expr) ([]string, error) {
		if err := fieldRuleHolds(x, f, e, "f.Parse != nil"); err != nil {
			return nil, err
		}
		var keys []string
		for _, pf := range domain.PlacementFields {
			if pf.Choices != nil && pf.Parse == nil {
				keys = append(keys, pf.Key)
			}
		}
		return keys, nil
	},
}

// fieldRuleHolds checks what a rule over domain.PlacementFields relies on:
// e is f.Key of a PlacementField f, in a function that tests cond before
// making the code.
func fieldRuleHolds(x *codeDeriver, f *srcFile, e ast.Expr, cond string) error {
	var fn *ast.FuncDecl
	for _, m := range slices.Backward(x.pathTo(f, e)) {
		if d, ok := m.(*ast.FuncDecl); ok {
			fn = d
			break
		}
	}
	if fn == nil || !strings.Contains(types.ExprString(fn.Type), "domain.PlacementField") && !strings.Contains(recvType(fn), "PlacementField") {
		return errors.New("f is no longer a PlacementField; update its rule")
	}
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if s, ok := n.(*ast.IfStmt); ok && types.ExprString(s.Cond) == cond {
			found = true
		}
		return !found
	})
	if !found {
		return fmt.Errorf("%s no longer tests %s; update its rule", fn.Name.Name, cond)
	}
	return nil
}

func recvType(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return ""
	}
	return types.ExprString(fn.Recv.List[0].Type)
}

// deriveErrorCodes finds every code a domain.Error made by the Go code under
// dirs of the module at root can carry, each with the places it is made.
// problems lists what it could not follow.
//
// Every error is a domain.Error composite literal somewhere; its Code is
// followed back: a string literal, a constant, a concatenation, a parameter
// (to every call of that function: so domain.Invalid("x") and
// oneOf(v, all, "gender") are found), strings.TrimPrefix/TrimSuffix, and
// domain.CodeOf(err) (to the codes of the function err was returned by).
// Anything else is a problem, unless errorCodeRules has a rule for it.
func deriveErrorCodes(root string, dirs []string) (map[string][]string, []string) {
	x, err := loadSources(root, dirs)
	if err != nil {
		return nil, []string{err.Error()}
	}
	codes := map[string][]string{}
	var problems []string
	for _, f := range x.files {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || !x.isErrorType(f, lit.Type) {
				return true
			}
			code := errorLitCode(lit)
			if code == nil {
				return true
			}
			found, err := x.eval(f, code)
			if err != nil {
				problems = append(problems, err.Error())
			}
			for _, c := range found {
				if !slices.Contains(codes[c.code], c.at) {
					codes[c.code] = append(codes[c.code], c.at)
				}
			}
			return true
		})
		problems = append(problems, x.assignsToCode(f)...)
	}
	problems = append(problems, x.problems...)
	slices.Sort(problems)
	return codes, slices.Compact(problems)
}

// errKeysNamed lists the "err." keys the code under dirs names literally,
// such as c.T("err.contact.notown").
func errKeysNamed(root string, dirs []string) ([]string, error) {
	x, err := loadSources(root, dirs)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, f := range x.files {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && strings.HasPrefix(s, "err.") {
					keys = append(keys, s)
				}
			}
			return true
		})
	}
	return keys, nil
}

type codeDeriver struct {
	fset    *token.FileSet
	root    string
	module  string
	files   []*srcFile
	pkgs    map[string]*srcPkg // by directory relative to root
	methods map[string][]*srcFunc
	byDecl  map[*ast.FuncDecl]*srcFunc
	calls   []callSite
	params  map[paramKey][]found
	returns map[*srcFunc][]found
	busy    map[any]bool
	// problems are what could not be followed, beside the first error
	// eval returns.
	problems []string
}

type srcPkg struct {
	dir    string
	funcs  map[string][]*srcFunc // functions without receiver, by name
	consts map[string]constDecl  // package-level constants
}

type srcFile struct {
	pkg     *srcPkg
	ast     *ast.File
	imports map[string]*srcPkg // local name of each import inside the module
}

type srcFunc struct {
	decl *ast.FuncDecl
	file *srcFile
	recv string // receiver's type name, "" for a function
}

type constDecl struct {
	file *srcFile
	spec *ast.ValueSpec
	i    int
}

type callSite struct {
	call *ast.CallExpr
	file *srcFile
}

type paramKey struct {
	fn *srcFunc
	i  int
}

// found is a code and where it is made.
type found struct{ code, at string }

func loadSources(root string, dirs []string) (*codeDeriver, error) {
	x := &codeDeriver{
		fset: token.NewFileSet(), root: root, pkgs: map[string]*srcPkg{},
		methods: map[string][]*srcFunc{}, byDecl: map[*ast.FuncDecl]*srcFunc{},
		params: map[paramKey][]found{}, returns: map[*srcFunc][]found{}, busy: map[any]bool{},
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(mod)) {
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			x.module = strings.TrimSpace(rest)
		}
	}
	if x.module == "" {
		return nil, errors.New("go.mod names no module")
	}
	var pkgDirs []string
	for _, d := range dirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				if n := e.Name(); n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
					return filepath.SkipDir
				}
				pkgDirs = append(pkgDirs, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, dir := range pkgDirs {
		bp, err := build.Default.ImportDir(dir, 0)
		if _, none := errors.AsType[*build.NoGoError](err); none {
			continue
		}
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, dir)
		pkg := &srcPkg{dir: filepath.ToSlash(rel), funcs: map[string][]*srcFunc{}, consts: map[string]constDecl{}}
		x.pkgs[pkg.dir] = pkg
		for _, name := range bp.GoFiles {
			af, err := parser.ParseFile(x.fset, filepath.Join(dir, name), nil, 0)
			if err != nil {
				return nil, err
			}
			x.files = append(x.files, &srcFile{pkg: pkg, ast: af})
		}
	}
	for _, f := range x.files {
		f.imports = map[string]*srcPkg{}
		for _, imp := range f.ast.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			dir, ok := strings.CutPrefix(p, x.module+"/")
			if !ok || x.pkgs[dir] == nil {
				continue
			}
			name := dir[strings.LastIndex(dir, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			f.imports[name] = x.pkgs[dir]
		}
		for _, d := range f.ast.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				fn := &srcFunc{decl: d, file: f}
				x.byDecl[d] = fn
				if d.Recv == nil {
					f.pkg.funcs[d.Name.Name] = append(f.pkg.funcs[d.Name.Name], fn)
				} else {
					fn.recv = typeName(d.Recv.List[0].Type)
					x.methods[d.Name.Name] = append(x.methods[d.Name.Name], fn)
				}
			case *ast.GenDecl:
				if d.Tok != token.CONST {
					continue
				}
				for _, s := range d.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						f.pkg.consts[n.Name] = constDecl{f, vs, i}
					}
				}
			}
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				x.calls = append(x.calls, callSite{c, f})
			}
			return true
		})
	}
	return x, nil
}

// typeName is the name of a type expression without pointer, package or
// type arguments: *domain.Market is "Market".
func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return typeName(e.X)
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.IndexExpr:
		return typeName(e.X)
	case *ast.IndexListExpr:
		return typeName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

func (x *codeDeriver) where(n ast.Node) string {
	p := x.fset.Position(n.Pos())
	rel, err := filepath.Rel(x.root, p.Filename)
	if err != nil {
		rel = p.Filename
	}
	return fmt.Sprintf("%s:%d", filepath.ToSlash(rel), p.Line)
}

func (x *codeDeriver) cannot(n ast.Node, format string, args ...any) error {
	return fmt.Errorf("%s: cannot tell which error codes %s", x.where(n), fmt.Sprintf(format, args...))
}

// isErrorType reports whether e names domain.Error in f.
func (x *codeDeriver) isErrorType(f *srcFile, e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return f.pkg.dir == "domain" && e.Name == "Error"
	case *ast.SelectorExpr:
		id, ok := e.X.(*ast.Ident)
		return ok && id.Obj == nil && f.imports[id.Name] == x.pkgs["domain"] && e.Sel.Name == "Error"
	}
	return false
}

// errorLitCode is the Code of a domain.Error literal, nil if it sets none.
func errorLitCode(lit *ast.CompositeLit) ast.Expr {
	for i, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
				return kv.Value
			}
		} else if i == 1 {
			return el
		}
	}
	return nil
}

// assignsToCode reports assignments to the Code of a variable f declares
// as a domain.Error, which eval does not follow.
func (x *codeDeriver) assignsToCode(f *srcFile) []string {
	var out []string
	ast.Inspect(f.ast, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok {
			return true
		}
		for _, l := range as.Lhs {
			sel, ok := l.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Code" {
				continue
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok || id.Obj == nil {
				continue
			}
			if typ := declaredType(id); typ != nil && x.isErrorType(f, typ) {
				out = append(out, x.cannot(as, "%s sets", types.ExprString(l)).Error())
			}
		}
		return true
	})
	return out
}

// pathTo is the chain of nodes of f enclosing n, outermost first.
func (x *codeDeriver) pathTo(f *srcFile, n ast.Node) []ast.Node {
	var path, stack []ast.Node
	ast.Inspect(f.ast, func(m ast.Node) bool {
		if path != nil {
			return false
		}
		if m == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		if m == n {
			path = slices.Clone(stack)
			return false
		}
		if m.Pos() > n.Pos() || m.End() < n.End() {
			return false
		}
		stack = append(stack, m)
		return true
	})
	return path
}

// funcName names the function declaration enclosing n in f: "bot.parseRow".
func (x *codeDeriver) funcName(f *srcFile, n ast.Node) string {
	for _, m := range slices.Backward(x.pathTo(f, n)) {
		if d, ok := m.(*ast.FuncDecl); ok {
			return f.pkg.dir + "." + d.Name.Name
		}
	}
	return f.pkg.dir
}

// eval lists the codes expression e of f can be.
func (x *codeDeriver) eval(f *srcFile, e ast.Expr) ([]found, error) {
	if rule := errorCodeRules[x.funcName(f, e)+": "+types.ExprString(e)]; rule != nil {
		codes, err := rule(x, f, e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", x.where(e), err)
		}
		var out []found
		for _, c := range codes {
			out = append(out, found{c, x.where(e)})
		}
		return out, nil
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			if err != nil {
				return nil, err
			}
			return []found{{s, x.where(e)}}, nil
		}
	case *ast.ParenExpr:
		return x.eval(f, e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			break
		}
		l, err := x.eval(f, e.X)
		if err != nil {
			return nil, err
		}
		r, err := x.eval(f, e.Y)
		if err != nil {
			return nil, err
		}
		// Where the code is made is best told by the part that came from
		// elsewhere: the call passing "gender" rather than oneOf's +.
		here := x.where(e)
		var out []found
		for _, a := range l {
			for _, b := range r {
				at := here
				if a.at != here {
					at = a.at
				} else if b.at != here {
					at = b.at
				}
				out = append(out, found{a.code + b.code, at})
			}
		}
		return out, nil
	case *ast.Ident:
		return x.ident(f, e)
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok && id.Obj == nil && f.imports[id.Name] != nil {
			if c, ok := f.imports[id.Name].consts[e.Sel.Name]; ok {
				return x.constant(c)
			}
		}
	case *ast.CallExpr:
		return x.callValue(f, e)
	}
	return nil, x.cannot(e, "%s can be", types.ExprString(e))
}

func (x *codeDeriver) constant(c constDecl) ([]found, error) {
	if len(c.spec.Values) != len(c.spec.Names) {
		return nil, x.cannot(c.spec, "constant %s is", c.spec.Names[c.i].Name)
	}
	return x.eval(c.file, c.spec.Values[c.i])
}

// ident lists the codes identifier id of f can be: a constant's, a
// parameter's at every call, or a local variable's at every assignment.
func (x *codeDeriver) ident(f *srcFile, id *ast.Ident) ([]found, error) {
	if id.Obj == nil {
		if c, ok := f.pkg.consts[id.Name]; ok {
			return x.constant(c)
		}
		return nil, x.cannot(id, "%s can be", id.Name)
	}
	switch d := id.Obj.Decl.(type) {
	case *ast.ValueSpec:
		for i, n := range d.Names {
			if n.Obj != id.Obj {
				continue
			}
			if id.Obj.Kind == ast.Con {
				return x.constant(constDecl{f, d, i})
			}
			if len(d.Values) == len(d.Names) && x.insideFunc(f, d) {
				return x.assigned(f, id, d.Values[i])
			}
		}
	case *ast.AssignStmt:
		for i, l := range d.Lhs {
			if l, ok := l.(*ast.Ident); ok && l.Obj == id.Obj && len(d.Rhs) == len(d.Lhs) && d.Tok == token.DEFINE {
				return x.assigned(f, id, d.Rhs[i])
			}
		}
	case *ast.Field:
		return x.param(f, id, d)
	}
	return nil, x.cannot(id, "%s can be", id.Name)
}

func (x *codeDeriver) insideFunc(f *srcFile, n ast.Node) bool {
	return slices.ContainsFunc(x.pathTo(f, n), func(m ast.Node) bool { _, ok := m.(*ast.FuncDecl); return ok })
}

// assigned lists the codes of local variable id: its first value and every
// later assignment in its function.
func (x *codeDeriver) assigned(f *srcFile, id *ast.Ident, first ast.Expr) ([]found, error) {
	out, err := x.eval(f, first)
	if err != nil {
		return nil, err
	}
	for _, as := range x.reassignments(f, id) {
		if as.Tok != token.ASSIGN || len(as.Lhs) != len(as.Rhs) {
			return nil, x.cannot(as, "%s is given", id.Name)
		}
		for i, l := range as.Lhs {
			if l, ok := l.(*ast.Ident); ok && l.Obj == id.Obj {
				more, err := x.eval(f, as.Rhs[i])
				if err != nil {
					return nil, err
				}
				out = append(out, more...)
			}
		}
	}
	return out, nil
}

// reassignments are the assignments to id's variable after its declaration.
func (x *codeDeriver) reassignments(f *srcFile, id *ast.Ident) []*ast.AssignStmt {
	var out []*ast.AssignStmt
	ast.Inspect(f.ast, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || as == id.Obj.Decl {
			return true
		}
		for _, l := range as.Lhs {
			if l, ok := l.(*ast.Ident); ok && l.Obj == id.Obj {
				out = append(out, as)
				break
			}
		}
		return true
	})
	return out
}

// param lists the codes parameter id of a function can be: what each call
// of the function passes.
func (x *codeDeriver) param(f *srcFile, id *ast.Ident, field *ast.Field) ([]found, error) {
	var fn *srcFunc
	idx := -1
	for _, m := range slices.Backward(x.pathTo(f, id)) {
		var ft *ast.FuncType
		switch m := m.(type) {
		case *ast.FuncLit:
			ft = m.Type
		case *ast.FuncDecl:
			ft = m.Type
			fn = x.byDecl[m]
		default:
			continue
		}
		i := 0
		for _, p := range ft.Params.List {
			for _, n := range p.Names {
				if n.Obj == id.Obj {
					idx = i
				}
				i++
			}
			if len(p.Names) == 0 {
				i++
			}
		}
		if idx >= 0 {
			if _, variadic := field.Type.(*ast.Ellipsis); variadic {
				fn = nil
			}
			break
		}
		fn = nil
	}
	if fn == nil || idx < 0 {
		return nil, x.cannot(id, "parameter %s of a function literal, a receiver or a variadic parameter is", id.Name)
	}
	key := paramKey{fn, idx}
	if out, ok := x.params[key]; ok {
		return out, nil
	}
	if x.busy[key] {
		return nil, nil // a recursive call adds nothing the others do not
	}
	x.busy[key] = true
	defer delete(x.busy, key)
	// What one call passes is not known to the others: each is reported
	// and the rest still followed.
	if err := x.onlyCalled(fn); err != nil {
		x.problems = append(x.problems, err.Error())
	}
	var out []found
	for _, s := range x.calls {
		if !slices.Contains(x.resolve(s.file, s.call.Fun), fn) {
			continue
		}
		if idx >= len(s.call.Args) || s.call.Ellipsis.IsValid() {
			x.problems = append(x.problems, x.cannot(s.call, "%s passes", types.ExprString(s.call.Fun)).Error())
			continue
		}
		more, err := x.eval(s.file, s.call.Args[idx])
		if err != nil {
			x.problems = append(x.problems, err.Error())
		}
		out = append(out, more...)
	}
	x.params[key] = out
	return out, nil
}

// onlyCalled fails if fn is used other than by calling it, as then some of
// its arguments cannot be seen.
func (x *codeDeriver) onlyCalled(fn *srcFunc) error {
	name := fn.decl.Name.Name
	var err error
	for _, f := range x.files {
		called := map[ast.Expr]bool{}
		var visit func(n ast.Node) bool
		visit = func(n ast.Node) bool {
			if err != nil {
				return false
			}
			switch n := n.(type) {
			case *ast.CallExpr:
				called[unwrapFun(n.Fun)] = true
			case *ast.FuncDecl:
				ast.Inspect(n.Type, visit) // not its name
				if n.Body != nil {
					ast.Inspect(n.Body, visit)
				}
				return false
			case *ast.Field:
				ast.Inspect(n.Type, visit) // not the names it declares
				return false
			case *ast.KeyValueExpr:
				if _, ok := n.Key.(*ast.Ident); !ok {
					ast.Inspect(n.Key, visit)
				}
				ast.Inspect(n.Value, visit) // a field name is no use
				return false
			case *ast.SelectorExpr:
				if n.Sel.Name == name && !called[n] && slices.Contains(x.resolve(f, n), fn) {
					err = x.cannot(n, "%s is given: it is used as a value", name)
				}
				ast.Inspect(n.X, visit) // not Sel, which is no name of its own
				return false
			case *ast.Ident:
				if n.Name == name && !called[n] && slices.Contains(x.resolve(f, n), fn) {
					err = x.cannot(n, "%s is given: it is used as a value", name)
				}
			}
			return true
		}
		for _, d := range f.ast.Decls {
			ast.Inspect(d, visit)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func unwrapFun(e ast.Expr) ast.Expr {
	for {
		switch v := e.(type) {
		case *ast.ParenExpr:
			e = v.X
		case *ast.IndexExpr:
			e = v.X
		case *ast.IndexListExpr:
			e = v.X
		default:
			return e
		}
	}
}

// resolve lists the module's functions an expression in call position
// names: a function of f's package or of an import, or every method of that
// name (narrowed to the receiver's type where it is declared in sight).
func (x *codeDeriver) resolve(f *srcFile, fun ast.Expr) []*srcFunc {
	switch e := unwrapFun(fun).(type) {
	case *ast.Ident:
		if e.Obj == nil {
			return f.pkg.funcs[e.Name]
		}
		if d, ok := e.Obj.Decl.(*ast.FuncDecl); ok && e.Obj.Kind == ast.Fun {
			return []*srcFunc{x.byDecl[d]}
		}
	case *ast.SelectorExpr:
		id, _ := e.X.(*ast.Ident)
		if id != nil && id.Obj == nil && f.imports[id.Name] != nil {
			return f.imports[id.Name].funcs[e.Sel.Name]
		}
		all := x.methods[e.Sel.Name]
		if id == nil || id.Obj == nil {
			return all
		}
		name := typeName(declaredType(id))
		var out []*srcFunc
		for _, m := range all {
			if m.recv == name {
				out = append(out, m)
			}
		}
		if out == nil {
			return all
		}
		return out
	}
	return nil
}

// declaredType is the type id is declared with or, failing that, that of
// the value it is given where that shows it (&T{}, T{}, new(T)); nil if
// neither is in sight. Pointers are looked through.
func declaredType(id *ast.Ident) ast.Expr {
	if id.Obj == nil {
		return nil
	}
	var typ ast.Expr
	switch d := id.Obj.Decl.(type) {
	case *ast.Field:
		typ = d.Type
	case *ast.ValueSpec:
		typ = d.Type
		for i, n := range d.Names {
			if typ == nil && n.Obj == id.Obj && len(d.Values) == len(d.Names) {
				typ = d.Values[i]
			}
		}
	case *ast.AssignStmt:
		for i, l := range d.Lhs {
			if l, ok := l.(*ast.Ident); ok && l.Obj == id.Obj && len(d.Rhs) == len(d.Lhs) {
				typ = d.Rhs[i]
			}
		}
	}
	for {
		switch t := typ.(type) {
		case *ast.StarExpr:
			typ = t.X
			continue
		case *ast.UnaryExpr:
			typ = t.X
			continue
		case *ast.CompositeLit:
			typ = t.Type
			continue
		case *ast.CallExpr:
			if fn, ok := t.Fun.(*ast.Ident); ok && fn.Name == "new" && len(t.Args) == 1 {
				typ = t.Args[0]
				continue
			}
			return nil // a call's result type is not in sight
		}
		return typ
	}
}

// callValue lists the codes a call in a code's place can be.
func (x *codeDeriver) callValue(f *srcFile, c *ast.CallExpr) ([]found, error) {
	fun := types.ExprString(c.Fun)
	switch {
	case (fun == "strings.TrimPrefix" || fun == "strings.TrimSuffix") && len(c.Args) == 2:
		s, err := x.eval(f, c.Args[0])
		if err != nil {
			return nil, err
		}
		cut, err := x.eval(f, c.Args[1])
		if err != nil {
			return nil, err
		}
		var out []found
		for _, a := range s {
			for _, b := range cut {
				v := strings.TrimPrefix(a.code, b.code)
				if fun == "strings.TrimSuffix" {
					v = strings.TrimSuffix(a.code, b.code)
				}
				out = append(out, found{v, a.at})
			}
		}
		return out, nil
	case len(c.Args) == 1 && slices.ContainsFunc(x.resolve(f, c.Fun), func(fn *srcFunc) bool {
		return fn.file.pkg.dir == "domain" && fn.decl.Recv == nil && fn.decl.Name.Name == "CodeOf"
	}):
		return x.codesOf(f, c.Args[0])
	}
	return nil, x.cannot(c, "%s can be", types.ExprString(c))
}

// codesOf lists the codes error variable e of f can carry: those of the
// functions whose results it was assigned.
func (x *codeDeriver) codesOf(f *srcFile, e ast.Expr) ([]found, error) {
	id, ok := e.(*ast.Ident)
	if !ok || id.Obj == nil {
		return nil, x.cannot(e, "%s carries", types.ExprString(e))
	}
	var stmts []*ast.AssignStmt
	if d, ok := id.Obj.Decl.(*ast.AssignStmt); ok {
		stmts = append(stmts, d)
	} else {
		return nil, x.cannot(e, "%s carries", types.ExprString(e))
	}
	stmts = append(stmts, x.reassignments(f, id)...)
	var out []found
	for _, as := range stmts {
		var from ast.Expr
		switch {
		case len(as.Rhs) == 1:
			from = as.Rhs[0]
		case len(as.Rhs) == len(as.Lhs):
			for i, l := range as.Lhs {
				if l, ok := l.(*ast.Ident); ok && l.Obj == id.Obj {
					from = as.Rhs[i]
				}
			}
		}
		call, ok := from.(*ast.CallExpr)
		if !ok {
			return nil, x.cannot(as, "%s carries", id.Name)
		}
		fns := x.resolve(f, call.Fun)
		if len(fns) == 0 {
			return nil, x.cannot(call, "%s returns", types.ExprString(call.Fun))
		}
		for _, fn := range fns {
			more, err := x.returned(fn)
			if err != nil {
				return nil, err
			}
			for _, m := range more {
				out = append(out, found{m.code, x.where(e)}) // where it is passed on
			}
		}
	}
	return out, nil
}

// returned lists the codes of the errors fn can return: those it makes and
// those of the module's functions it calls that return an error.
func (x *codeDeriver) returned(fn *srcFunc) ([]found, error) {
	if out, ok := x.returns[fn]; ok {
		return out, nil
	}
	if x.busy[fn] {
		return nil, nil
	}
	x.busy[fn] = true
	defer delete(x.busy, fn)
	var out []found
	var err error
	ast.Inspect(fn.decl.Body, func(n ast.Node) bool {
		if err != nil {
			return false
		}
		var more []found
		switch n := n.(type) {
		case *ast.CompositeLit:
			if code := errorLitCode(n); code != nil && x.isErrorType(fn.file, n.Type) && x.paramIndex(fn, code) < 0 {
				more, err = x.eval(fn.file, code)
			}
		case *ast.CallExpr:
			for _, callee := range x.resolve(fn.file, n.Fun) {
				var m []found
				if i := x.makerParam(callee); i >= 0 && i < len(n.Args) {
					m, err = x.eval(fn.file, n.Args[i])
				} else if returnsError(callee) {
					m, err = x.returned(callee)
				}
				if err != nil {
					return false
				}
				more = append(more, m...)
			}
		}
		out = append(out, more...)
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	x.returns[fn] = out
	return out, nil
}

// makerParam is the index of the parameter fn makes a domain.Error's code
// of (as domain.Invalid does), or -1.
func (x *codeDeriver) makerParam(fn *srcFunc) int {
	idx := -1
	ast.Inspect(fn.decl.Body, func(n ast.Node) bool {
		if lit, ok := n.(*ast.CompositeLit); ok && x.isErrorType(fn.file, lit.Type) {
			if code := errorLitCode(lit); code != nil {
				if i := x.paramIndex(fn, code); i >= 0 {
					idx = i
				}
			}
		}
		return true
	})
	return idx
}

// paramIndex is the index of fn's parameter e names, or -1.
func (x *codeDeriver) paramIndex(fn *srcFunc, e ast.Expr) int {
	id, ok := e.(*ast.Ident)
	if !ok || id.Obj == nil {
		return -1
	}
	i := 0
	for _, p := range fn.decl.Type.Params.List {
		for _, n := range p.Names {
			if n.Obj == id.Obj {
				return i
			}
			i++
		}
	}
	return -1
}

func returnsError(fn *srcFunc) bool {
	if fn.decl.Type.Results == nil {
		return false
	}
	return slices.ContainsFunc(fn.decl.Type.Results.List, func(r *ast.Field) bool {
		id, ok := r.Type.(*ast.Ident)
		return ok && id.Name == "error"
	})
}
