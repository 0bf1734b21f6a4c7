package bot

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
)

// Bulk registration from a spreadsheet: every row is read with the same
// parsers as the placement flow, checked with the same rules, de-duplicated
// against the rest of the file and then by Postgres, and answered with a
// status of its own.

// rowStatus is what became of one row.
type rowStatus struct {
	kind rowKind
	text string
}

type rowKind int

const (
	rowSaved rowKind = iota
	rowDuplicate
	rowInvalid
)

// bulkSummary counts the outcomes.
type bulkSummary struct{ saved, duplicates, invalid int }

// columnsFor maps each header cell to a placement field: by its Persian or
// English label or its key, so a sheet from either language's template, or
// with columns moved, is read. Unknown columns are ignored; missing ones are
// returned.
func (b *Bot) columnsFor(header []string) (fields []int, missing []string) {
	byName := map[string]int{}
	for i, f := range placementFields {
		byName[headerKey(f.key)] = i
		for _, lang := range Languages {
			byName[headerKey(b.cat.T(lang, "placement."+f.key+".label"))] = i
		}
	}
	fields = make([]int, len(header))
	found := map[int]bool{}
	for col, h := range header {
		fields[col] = -1
		if i, ok := byName[headerKey(h)]; ok && !found[i] {
			fields[col], found[i] = i, true
		}
	}
	for i, f := range placementFields {
		if !found[i] && f.key != "mobile" && f.key != "amount" && f.key != "district" {
			missing = append(missing, b.cat.T(b.cfg.DefaultLanguage, "placement."+f.key+".label"))
		}
	}
	return fields, missing
}

func headerKey(s string) string {
	return strings.ToLower(strings.ReplaceAll(domain.Normalize(s), "\u200c", " "))
}

// parseRow reads one row into a placement, or the sentences saying all that
// is wrong with it: the cells that cannot be read and then every rule the
// rest breaks, so one round of corrections fixes the row.
func (b *Bot) parseRow(lang string, fields []int, cells []string, now time.Time) (domain.Placement, []string) {
	var (
		p        domain.Placement
		problems []string
		failed   = map[string]bool{}
	)
	bad := func(key string, err error) {
		failed[key] = true
		problems = append(problems, b.cat.T(lang, "placement."+key+".label")+": "+b.sentence(lang, err))
	}
	for col, i := range fields {
		if i < 0 || col >= len(cells) {
			continue
		}
		f := placementFields[i]
		cell := domain.Normalize(cells[col])
		if cell == "" {
			continue
		}
		var (
			v   string
			err error
		)
		if f.choices != nil {
			var ok bool
			if v, ok = b.matchCell(f, cell); !ok {
				err = domain.Invalid(f.key + ".unknown")
			}
		} else {
			v, err = f.parse(now, cell)
		}
		if err != nil {
			bad(f.key, err)
			continue
		}
		// Every field read is set, even one the flow would skip, so Check
		// can say an amount was given without funding.
		f.set(&p, v)
	}
	for _, err := range p.Check(now) {
		if !failed[fieldOfCode(domain.CodeOf(err))] {
			problems = append(problems, b.sentence(lang, err))
		}
	}
	return p, problems
}

// fieldOfCode names the field an error code is about: "birthyear.range" is
// about birthyear, "date.format" about the start date.
func fieldOfCode(code string) string {
	prefix, _, _ := strings.Cut(code, ".")
	switch prefix {
	case "date", "startdate":
		return "startdate"
	}
	return prefix
}

// matchCell finds the choice a cell names: its value, or its label in any
// language ("زن", "female", "Female").
func (b *Bot) matchCell(f placementField, cell string) (string, bool) {
	key := headerKey(cell)
	if f.key == "district" {
		if n, err := domain.ParseDistrict(cell); err == nil {
			return strconv.Itoa(n), true
		}
		return "", false
	}
	for _, lang := range Languages {
		for _, ch := range f.choices(b.cat, lang) {
			if key == headerKey(ch.Value) || key == headerKey(ch.Label) {
				return ch.Value, true
			}
		}
	}
	return "", false
}

// checkRows parses every row and removes in-file duplicates, returning the
// placements to store (with the row each came from) and the statuses known
// before storing.
func (b *Bot) checkRows(lang string, fields []int, rows []sheetRow, now time.Time) ([]domain.Placement, []int, []rowStatus) {
	statuses := make([]rowStatus, len(rows))
	var (
		valid  []domain.Placement
		origin []int
		first  = map[domain.NationalID]int{}
	)
	for i, r := range rows {
		p, problems := b.parseRow(lang, fields, r.cells, now)
		if len(problems) > 0 {
			statuses[i] = rowStatus{rowInvalid, strings.Join(problems, "؛ ")}
			continue
		}
		if prev, dup := first[p.NationalID]; dup {
			statuses[i] = rowStatus{rowDuplicate, b.cat.T(lang, "bulk.dup_in_file", "row", digitsIn(lang, strconv.Itoa(prev)))}
			continue
		}
		first[p.NationalID] = r.number
		valid = append(valid, p)
		origin = append(origin, i)
	}
	return valid, origin, statuses
}

// sheetRow is one data row as read, with its row number in the sheet.
type sheetRow struct {
	number int
	cells  []string
}

func digitsIn(lang, s string) string {
	if lang == "fa" {
		return domain.PersianDigits(s)
	}
	return s
}

func (s bulkSummary) String() string {
	return fmt.Sprintf("%d saved, %d duplicates, %d invalid", s.saved, s.duplicates, s.invalid)
}

// Bulk limits: a province agency registers at most a few thousand a month;
// 10,000 rows and 5 MB leave room without letting one file stall the bot.
const (
	maxBulkRows  = 10_000
	maxBulkBytes = 5 << 20
)

// exampleCode is the national code of the template's example row; a row
// still carrying it is the example left in, not a person.
var exampleCode, _ = domain.CompleteNationalID("001234567")

// placementSheet is the template's and the result's sheet in lang.
func (b *Bot) placementSheet(lang string) xlsx.Sheet {
	s := xlsx.Sheet{Name: b.cat.T(lang, "bulk.sheet"), RTL: lang == "fa"}
	for _, f := range placementFields {
		col := xlsx.Column{Header: b.cat.T(lang, "placement."+f.key+".label"), Format: xlsx.Text,
			Note: b.cat.T(lang, "placement."+f.key+".prompt")}
		if f.choices != nil {
			for _, ch := range f.choices(b.cat, lang) {
				col.Choices = append(col.Choices, ch.Label)
			}
		}
		s.Columns = append(s.Columns, col)
	}
	return s
}

// exampleRow fills the template's example in lang, shown as users type.
func (b *Bot) exampleRow(lang string) []string {
	now := b.now()
	ex := domain.Placement{NationalID: exampleCode, FullName: b.cat.T(lang, "bulk.example_name"),
		Gender: domain.GenderFemale, BirthYear: domain.ProgramYear(now) - 30, Sector: domain.SectorServices,
		Activity: b.cat.T(lang, "bulk.example_activity"), Employer: b.cat.T(lang, "bulk.example_employer"),
		Kind: domain.KindHomeBusiness, Support: domain.SupportFinancing, Funding: domain.FundingQardHasan,
		FundingAmount: 300_000_000, County: domain.TehranCounty, Area: domain.AreaUrban, District: 15,
		StartDate: domain.StartOfDay(now)}
	a := answersFromPlacement(ex)
	row := make([]string, len(placementFields))
	for i, f := range placementFields {
		v := a[f.key]
		switch {
		case f.choices != nil:
			if ch, ok := findChoice(f.choices(b.cat, lang), v); ok {
				v = ch.Label
			}
		case f.key == "startdate":
			v = domain.FormatJalaliNumeric(ex.StartDate)
		case f.key == "mobile":
			v = ""
		}
		row[i] = v
	}
	return row
}

func (b *Bot) cmdTemplate(c *Ctx, _ string) error {
	var buf bytes.Buffer
	if err := xlsx.WriteTemplate(&buf, b.placementSheet(c.Lang), [][]string{b.exampleRow(c.Lang)}, maxBulkRows); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	doc := transport.SendDocument{Chat: c.Chat, File: transport.FileBytes{Name: c.T("bulk.template_file"), Bytes: buf.Bytes()}}
	doc.Caption = c.T("bulk.template_caption", "max", c.digits(strconv.Itoa(maxBulkRows)))
	err := b.send.Send(c, c.Chat, doc)
	return err
}

// onDocument registers the placements of an uploaded spreadsheet.
func (b *Bot) onDocument(c *Ctx, d *transport.Document) error {
	if !c.User.Has(domain.RoleLiaison) {
		return c.reply(c.T("help.unknown"), nil)
	}
	if d.FileSize > maxBulkBytes {
		return c.reply(c.T("bulk.too_big", "max", c.digits("5")), nil)
	}
	b.chatAction(c, transport.ChatUploadDocument)
	data, err := b.api.Download(c, d.FileID, maxBulkBytes)
	if errors.Is(err, transport.ErrFileTooLarge) {
		return c.reply(c.T("bulk.too_big", "max", c.digits("5")), nil)
	}
	if err != nil {
		return fmt.Errorf("download sheet: %w", err)
	}
	result, summary, err := b.importSheet(c, data)
	if sentence, ok := b.sheetError(c, err); ok {
		return c.reply(sentence, nil)
	}
	if err != nil {
		return err
	}
	// Saved: the result is best effort, the summary says what happened.
	text := c.T("bulk.summary", "saved", c.digits(strconv.Itoa(summary.saved)),
		"duplicates", c.digits(strconv.Itoa(summary.duplicates)), "invalid", c.digits(strconv.Itoa(summary.invalid)))
	doc := transport.SendDocument{Chat: c.Chat, File: transport.FileBytes{Name: c.T("bulk.result_file"), Bytes: result}}
	doc.Caption = text
	if err := b.send.Send(c, c.Chat, doc); err != nil {
		b.log.Error("send import result", "err", err)
		b.tell(c, c.Chat, text, nil)
	}
	return nil
}

// sheetError turns a refused file into a sentence.
func (b *Bot) sheetError(c *Ctx, err error) (string, bool) {
	var missing *missingColumnsError
	switch {
	case errors.Is(err, xlsx.ErrNotSpreadsheet):
		return c.T("bulk.not_spreadsheet"), true
	case errors.Is(err, xlsx.ErrNoHeader):
		return c.T("bulk.no_header"), true
	case errors.Is(err, xlsx.ErrTooManyColumns):
		return c.T("bulk.too_many_columns"), true
	case errors.Is(err, xlsx.ErrTooManyRows):
		return c.T("bulk.too_many_rows", "max", c.digits(strconv.Itoa(maxBulkRows))), true
	case errors.As(err, &missing):
		return c.T("bulk.wrong_columns", "columns", strings.Join(missing.columns, "، ")), true
	}
	return "", false
}

type missingColumnsError struct{ columns []string }

func (e *missingColumnsError) Error() string {
	return "sheet lacks columns: " + strings.Join(e.columns, ", ")
}

// importSheet reads, checks, de-duplicates and stores the rows of an
// uploaded workbook for the user's agency, and returns the same sheet with
// a status column.
func (b *Bot) importSheet(c *Ctx, data []byte) ([]byte, bulkSummary, error) {
	table, err := xlsx.Read(data, maxBulkRows)
	if err != nil {
		return nil, bulkSummary{}, err
	}
	defer table.Close()
	fields, missing := b.columnsFor(table.Header)
	if len(missing) > 0 {
		return nil, bulkSummary{}, &missingColumnsError{missing}
	}
	rows := make([]sheetRow, 0, table.Count)
	for n, cells := range table.Rows() {
		rows = append(rows, sheetRow{number: n, cells: cells})
	}
	if err := table.Err(); err != nil {
		return nil, bulkSummary{}, fmt.Errorf("read sheet: %w", err)
	}
	now := b.now()
	statuses, summary, err := b.registerRows(c, fields, rows, now)
	if err != nil {
		return nil, bulkSummary{}, err
	}
	var out bytes.Buffer
	err = xlsx.WriteResult(&out, xlsx.Sheet{Name: table.Name, RTL: c.Lang == "fa"}, table.Header, c.T("bulk.status"),
		func(yield func([]string, xlsx.Status) bool) {
			for i, r := range rows {
				if !yield(r.cells, statuses[i]) {
					return
				}
			}
		})
	if err != nil {
		return nil, summary, fmt.Errorf("write result: %w", err)
	}
	return out.Bytes(), summary, nil
}

// registerRows checks every row and stores the good ones, returning each
// row's status.
func (b *Bot) registerRows(c *Ctx, fields []int, rows []sheetRow, now time.Time) ([]xlsx.Status, bulkSummary, error) {
	codeCol := slices.Index(fields, 0) // national code is placementFields[0]
	var example []bool
	for _, r := range rows {
		example = append(example, codeCol >= 0 && codeCol < len(r.cells) && domain.Normalize(r.cells[codeCol]) == string(exampleCode))
	}
	valid, origin, pre := b.checkRows(c.Lang, fields, rows, now)
	for i := range valid {
		valid[i].AgencyID, valid[i].LiaisonID, valid[i].ProgramYear = c.User.LiaisonAgency(), c.User.ID, domain.ProgramYear(valid[i].StartDate)
	}
	// The example row is never stored, whatever else it says.
	var store []domain.Placement
	var storeOrigin []int
	for i, p := range valid {
		if !example[origin[i]] {
			store, storeOrigin = append(store, p), append(storeOrigin, origin[i])
		}
	}
	outcomes, err := b.store.BulkCreatePlacements(c, store, now)
	if err != nil {
		return nil, bulkSummary{}, fmt.Errorf("store rows: %w", err)
	}
	statuses := make([]xlsx.Status, len(rows))
	var sum bulkSummary
	for i, st := range pre {
		switch {
		case example[i]:
			statuses[i] = xlsx.Status{Text: c.T("bulk.example_row"), Kind: xlsx.Plain}
		case st.kind == rowInvalid:
			statuses[i] = xlsx.Status{Text: st.text, Kind: xlsx.Invalid}
			sum.invalid++
		case st.kind == rowDuplicate:
			statuses[i] = xlsx.Status{Text: st.text, Kind: xlsx.Duplicate}
			sum.duplicates++
		}
	}
	agencies := map[int64]string{}
	for k, o := range outcomes {
		i := storeOrigin[k]
		if o.Duplicate == nil {
			statuses[i] = xlsx.Status{Text: c.T("bulk.saved", "id", c.digits(strconv.FormatInt(o.Saved.ID, 10))), Kind: xlsx.OK}
			sum.saved++
			continue
		}
		sum.duplicates++
		held := o.Duplicate.Existing
		if o.Duplicate.SameAgency {
			statuses[i] = xlsx.Status{Text: c.T("bulk.dup_own", "id", c.digits(strconv.FormatInt(held.ID, 10)), "date", c.date(held.CreatedAt)), Kind: xlsx.Duplicate}
			continue
		}
		name, ok := agencies[held.AgencyID]
		if !ok {
			name = c.T("value.unknown_agency")
			if a, err := b.store.Agency(c, held.AgencyID); err == nil {
				name = a.Name(c.Lang)
			}
			agencies[held.AgencyID] = name
		}
		b.cfg.Metrics.DuplicateBlocked()
		statuses[i] = xlsx.Status{Text: c.T("bulk.dup_other", "agency", name, "date", c.date(held.CreatedAt)), Kind: xlsx.Duplicate}
	}
	return statuses, sum, nil
}

// chatAction shows "sending a file…" while a long job runs. Platforms
// without sendChatAction only get a log line.
func (b *Bot) chatAction(c *Ctx, action string) {
	if err := b.send.Request(c, 0, transport.ChatAction{Chat: c.Chat, Action: action}); err != nil {
		b.log.Debug("chat action", "err", err)
	}
}

func isSpreadsheetName(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".xlsx")
}
