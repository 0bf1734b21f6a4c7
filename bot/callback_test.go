package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The protocol's strings are on buttons in people's chats: changing one
// makes them stale. This pins every value.
func TestCallbackWireValues(t *testing.T) {
	pinned := map[string]string{
		cbFlow: "f", cbRole: "role", cbLanguage: "lang", cbLiaison: "lr", cbInvite: "inv", cbRecord: "rec",
		cbRegister: "reg", cbAgency: "ag", cbOffer: "of", cbMarket: "mk", cbStall: "st", cbCheck: "ck", cbContest: "ct",
		flowChoice: "c", flowShortcut: "s", flowEdit: "e", flowConfirm: "ok", flowBack: "b", flowCancel: "x",
		recOpen: "open", recList: "list", recFix: "fix", recField: "field", recWithdraw: "wd",
		roleLiaison: "liaison", roleVendor: "stall",
		agAdd: "add", agRename: "ren",
		mkAllocate: "al", mkExport: "ex", mkEdit: "ed", mkList: "ls", mkOpen: "op",
	}
	for got, want := range pinned {
		if got != want {
			t.Errorf("a callback constant is %q, buttons already sent carry %q", got, want)
		}
	}
	for _, v := range []struct{ got, want string }{
		{lrApprove, "a"}, {lrReject, "r"}, {inviteCancel, "x"}, {offerAccept, "a"}, {offerDecline, "d"}, {offerAsk, "q"}, {offerKeep, "k"}, {stallCancel, "x"},
		{ctStart, "c"}, {ctUphold, "u"}, {ctOverturn, "o"},
	} {
		if v.got != v.want {
			t.Errorf("a callback action is %q, buttons already sent carry %q", v.got, v.want)
		}
	}
}

// Every prefix a button is signed with is routed by onCallback, and every
// prefix routed is on some button; every declared prefix (the cb
// constants) is both. A button without a route goes stale when tapped; a
// route without a button is a button lost.
func TestCallbackPrefixesProducedAndRouted(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared, produced, routed := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						if strings.HasPrefix(n.Name, "cb") {
							declared[n.Name] = true
						}
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if isSignCall(n) {
					id, ok := n.Args[0].(*ast.Ident)
					if !ok || !strings.HasPrefix(id.Name, "cb") {
						t.Errorf("%v: a button is signed with a prefix that is not a cb constant", fset.Position(n.Pos()))
						return true
					}
					produced[id.Name] = true
				}
			case *ast.FuncDecl:
				if n.Name.Name == "onCallback" {
					collectRoutes(n, routed)
				}
			}
			return true
		})
	}
	if len(routed) == 0 {
		t.Fatal("found no case of onCallback's switch on parts[0]")
	}
	want := slices.Sorted(maps.Keys(declared))
	if got := slices.Sorted(maps.Keys(produced)); !slices.Equal(got, want) {
		t.Errorf("prefixes signed on buttons = %v, declared = %v", got, want)
	}
	if got := slices.Sorted(maps.Keys(routed)); !slices.Equal(got, want) {
		t.Errorf("prefixes routed by onCallback = %v, declared = %v", got, want)
	}
}

// isSignCall reports whether call is x.sign.sign(…), the bot signing a
// button.
func isSignCall(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "sign" || len(call.Args) == 0 {
		return false
	}
	inner, ok := sel.X.(*ast.SelectorExpr)
	return ok && inner.Sel.Name == "sign"
}

// collectRoutes adds the case labels of fn's switch on parts[0].
func collectRoutes(fn *ast.FuncDecl, routed map[string]bool) {
	ast.Inspect(fn, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok {
			return true
		}
		ix, ok := sw.Tag.(*ast.IndexExpr)
		if !ok {
			return true
		}
		if lit, ok := ix.Index.(*ast.BasicLit); !ok || lit.Value != "0" {
			return true
		}
		for _, st := range sw.Body.List {
			for _, e := range st.(*ast.CaseClause).List {
				if id, ok := e.(*ast.Ident); ok {
					routed[id.Name] = true
				} else {
					routed["(not a constant)"] = true
				}
			}
		}
		return false
	})
}

// A malformed id in a button or a session is an error, never row 0.
func TestParseID(t *testing.T) {
	if id, err := parseID("42"); id != 42 || err != nil {
		t.Errorf("parseID(42) = %d, %v", id, err)
	}
	for _, s := range []string{"", "0", "-3", "x", "4 2", "۴۲", "99999999999999999999"} {
		if id, err := parseID(s); err == nil {
			t.Errorf("parseID(%q) = %d, want an error", s, id)
		}
	}
}
