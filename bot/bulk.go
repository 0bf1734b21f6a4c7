package bot

import (
	"bytes"
	"context"
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

// rowKind is what became of one row.
type rowKind int

const (
	rowSaved     rowKind = iota
	rowOwn               // already this agency's record: nothing to do
	rowDuplicate         // another agency's record, or a repeat in the file
	rowInvalid
	rowExample // the template's example row, left in
)

// RowResult is what became of one row of an imported sheet.
type RowResult struct {
	Row  int // its row number in the sheet
	Kind rowKind
	Text string // the sentence saying so, in the import's language
}

// Failed reports whether the row was neither saved nor already the
// importing agency's record.
func (r RowResult) Failed() bool { return r.Kind == rowDuplicate || r.Kind == rowInvalid }

// ImportReport is what an import did, row by row, with the sheet as read.
type ImportReport struct {
	Rows []RowResult
	// Own rows were already this agency's records; Duplicates are held
	// by another agency or repeat an earlier row of the file.
	Saved, Own, Duplicates, Invalid int
	sheet                           string
	header                          []string
	cells                           [][]string
}

// columnsFor maps each header cell to a placement field: by its Persian or
// English label or its key, so a sheet from either language's template, or
// with columns moved, is read. Unknown columns are ignored; the labels of
// required columns that are missing are returned.
func (b *Bot) columnsFor(header []string, lang string) (fields []int, missing []string) {
	byName := map[string]int{}
	for i, f := range domain.PlacementFields {
		byName[headerKey(f.Key)] = i
		for _, l := range Languages {
			byName[headerKey(b.cat.T(l, "placement."+f.Key+".label"))] = i
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
	for i, f := range domain.PlacementFields {
		if !found[i] && !f.SheetOptional() {
			missing = append(missing, b.cat.T(lang, "placement."+f.Key+".label"))
		}
	}
	return fields, missing
}

// parseRow reads one row into a placement, or the sentences saying all that
// is wrong with it: the cells that cannot be read and then every rule the
// rest breaks, so one round of corrections fixes the row.
func (b *Bot) parseRow(lang string, fields []int, cells []string, now time.Time) (domain.Placement, []string) {
	var (
		p        domain.Placement
		problems []string
		failed   = map[string]bool{}
		given    = map[string]bool{}
	)
	bad := func(key string, err error) {
		failed[key] = true
		problems = append(problems, b.cat.T(lang, "placement."+key+".label")+": "+b.sentence(lang, err))
	}
	for col, i := range fields {
		if i < 0 || col >= len(cells) {
			continue
		}
		f := domain.PlacementFields[i]
		cell := domain.Normalize(cells[col])
		if cell == "" {
			continue
		}
		v, err := b.cellValue(f, cell)
		if err != nil {
			bad(f.Key, err)
			continue
		}
		// Every field read is set, even one the flow would skip, so Check
		// can say an amount was given without funding.
		f.Set(&p, b.cal, v)
		given[f.Key] = true
	}
	for _, f := range domain.PlacementFields {
		if !given[f.Key] && !failed[f.Key] && f.Default != "" {
			f.Set(&p, b.cal, f.Default)
		}
	}
	for _, err := range p.Check(b.cal, now) {
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

// checkRows parses every row and removes in-file duplicates, returning the
// placements to store (with the row each came from) and the results known
// before storing.
func (b *Bot) checkRows(lang string, fields []int, rows []sheetRow, now time.Time) ([]domain.Placement, []int, []RowResult) {
	results := make([]RowResult, len(rows))
	var (
		valid  []domain.Placement
		origin []int
		first  = map[domain.NationalID]int{}
	)
	for i, r := range rows {
		results[i].Row = r.number
		p, problems := b.parseRow(lang, fields, r.cells, now)
		if len(problems) > 0 {
			results[i].Kind, results[i].Text = rowInvalid, strings.Join(problems, "؛ ")
			continue
		}
		if prev, dup := first[p.NationalID]; dup {
			results[i].Kind, results[i].Text = rowDuplicate, b.cat.T(lang, "bulk.dup_in_file", "row", digitsIn(lang, strconv.Itoa(prev)))
			continue
		}
		first[p.NationalID] = r.number
		valid = append(valid, p)
		origin = append(origin, i)
	}
	return valid, origin, results
}

// sheetRow is one data row as read, with its row number in the sheet.
type sheetRow struct {
	number int
	cells  []string
}

func (r ImportReport) String() string {
	return fmt.Sprintf("%d saved, %d already this agency's, %d duplicates, %d invalid", r.Saved, r.Own, r.Duplicates, r.Invalid)
}

// Bulk limits: a province agency registers at most a few thousand a month;
// 10,000 rows and 5 MB leave room without letting one file stall the bot.
const (
	maxBulkRows  = 10_000
	maxBulkBytes = 5 << 20
)

// placementSheet is the template's sheet in lang.
func (b *Bot) placementSheet(lang string) xlsx.Sheet {
	s := xlsx.Sheet{Name: b.cat.T(lang, "bulk.sheet"), RTL: lang == "fa"}
	for _, f := range domain.PlacementFields {
		col := b.fieldColumn(f, lang)
		col.Format = xlsx.Text // what is typed stays as typed
		col.Note = b.cat.T(lang, "placement."+f.Key+".prompt")
		if f.Choices != nil {
			for _, ch := range b.fieldChoices(f, lang) {
				col.Choices = append(col.Choices, ch.Label)
			}
		}
		s.Columns = append(s.Columns, col)
	}
	return s
}

// exampleRow fills the template's example in lang, as a sheet shows each
// value (fieldCell).
func (b *Bot) exampleRow(lang string) []string {
	now := b.now()
	values := map[string]string{}
	for _, f := range domain.PlacementFields {
		if f.Example != nil {
			values[f.Key] = f.Example(b.cal, now)
		}
	}
	row := make([]string, len(domain.PlacementFields))
	for i, f := range domain.PlacementFields {
		switch {
		case f.Example == nil && !f.Optional:
			row[i] = b.cat.T(lang, "bulk.example_"+f.Key)
		case f.Skipped(values):
		default:
			if v := b.fieldCell(f, values[f.Key], lang); v != nil {
				row[i] = fmt.Sprint(v)
			}
		}
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
	release, ok := b.uploadSlot(c)
	if !ok {
		return c.reply(c.T("bulk.busy"), nil)
	}
	defer release()
	b.chatAction(c, transport.ChatUploadDocument)
	data, err := b.api.Download(c, d.FileID, maxBulkBytes)
	if errors.Is(err, transport.ErrFileTooLarge) {
		return c.reply(c.T("bulk.too_big", "max", c.digits("5")), nil)
	}
	if err != nil {
		return fmt.Errorf("download sheet: %w", err)
	}
	report, err := b.ImportPlacements(c, c.Lang, c.User.LiaisonAgency(), c.User.ID, data)
	if sentence, ok := b.SheetError(c.Lang, err); ok {
		return c.reply(sentence, nil)
	}
	if err != nil {
		return err
	}
	// Saved: the result is best effort, the summary says what happened.
	text := c.T("bulk.summary", "saved", c.digits(strconv.Itoa(report.Saved)),
		"duplicates", c.digits(strconv.Itoa(report.Own+report.Duplicates)), "invalid", c.digits(strconv.Itoa(report.Invalid)))
	result, err := b.resultSheet(c.Lang, report)
	if err != nil {
		b.log.Error("write import result", "err", err)
		b.tell(c, c.Chat, text, nil)
		return nil
	}
	doc := transport.SendDocument{Chat: c.Chat, File: transport.FileBytes{Name: c.T("bulk.result_file"), Bytes: result}}
	doc.Caption = text
	if err := b.send.Send(c, c.Chat, doc); err != nil {
		b.log.Error("send import result", "err", err)
		b.tell(c, c.Chat, text, nil)
	}
	return nil
}

// uploadWait is how long a sheet waits for another's reading to end.
const uploadWait = 20 * time.Second

// uploadSlot waits for one of the process's upload slots, so a burst of
// files costs no more memory than Config.Uploads of them; ok=false if none
// came free in time.
func (b *Bot) uploadSlot(ctx context.Context) (release func(), ok bool) {
	t := time.NewTimer(uploadWait)
	defer t.Stop()
	select {
	case b.uploads <- struct{}{}:
		return func() { <-b.uploads }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// SheetError is the sentence in lang for a file ImportPlacements refused
// as a whole, or ok=false for any other error.
func (b *Bot) SheetError(lang string, err error) (sentence string, ok bool) {
	var missing *missingColumnsError
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, xlsx.ErrNotSpreadsheet):
		return b.cat.T(lang, "bulk.not_spreadsheet"), true
	case errors.Is(err, xlsx.ErrNoHeader):
		return b.cat.T(lang, "bulk.no_header"), true
	case errors.Is(err, xlsx.ErrTooManyColumns):
		return b.cat.T(lang, "bulk.too_many_columns"), true
	case errors.Is(err, xlsx.ErrTooLargeUnpacked):
		return b.cat.T(lang, "bulk.too_large_unpacked", "max", digitsIn(lang, strconv.Itoa(xlsx.MaxUnpacked>>20))), true
	case errors.Is(err, xlsx.ErrCellTooLong):
		return b.cat.T(lang, "bulk.cell_too_long"), true
	case errors.Is(err, xlsx.ErrTooManyRows):
		return b.cat.T(lang, "bulk.too_many_rows", "max", digitsIn(lang, strconv.Itoa(maxBulkRows))), true
	case errors.As(err, &missing):
		return b.cat.T(lang, "bulk.wrong_columns", "columns", strings.Join(missing.columns, "، ")), true
	}
	return "", false
}

type missingColumnsError struct{ columns []string }

func (e *missingColumnsError) Error() string {
	return "sheet lacks columns: " + strings.Join(e.columns, ", ")
}

// ImportPlacements reads, checks, de-duplicates and stores the rows of a
// workbook filled from the template, for agency agencyID as registered by
// liaisonID (0: from the command line), and says what became of each row,
// in lang. A file refused as a whole is an error SheetError words.
func (b *Bot) ImportPlacements(ctx context.Context, lang string, agencyID, liaisonID int64, data []byte) (ImportReport, error) {
	table, err := xlsx.Read(data, maxBulkRows)
	if err != nil {
		return ImportReport{}, err
	}
	defer table.Close()
	fields, missing := b.columnsFor(table.Header, lang)
	if len(missing) > 0 {
		return ImportReport{}, &missingColumnsError{missing}
	}
	rows := make([]sheetRow, 0, table.Count)
	for n, cells := range table.Rows() {
		rows = append(rows, sheetRow{number: n, cells: cells})
	}
	if err := table.Err(); err != nil {
		return ImportReport{}, fmt.Errorf("read sheet: %w", err)
	}
	report, err := b.registerRows(ctx, lang, agencyID, liaisonID, fields, rows, b.now())
	if err != nil {
		return ImportReport{}, err
	}
	report.sheet, report.header = table.Name, table.Header
	report.cells = make([][]string, len(rows))
	for i, r := range rows {
		report.cells[i] = r.cells
	}
	return report, nil
}

// resultSheet is the imported sheet with a status column, in lang.
func (b *Bot) resultSheet(lang string, r ImportReport) ([]byte, error) {
	kinds := map[rowKind]xlsx.Kind{rowSaved: xlsx.OK, rowOwn: xlsx.Duplicate, rowDuplicate: xlsx.Duplicate,
		rowInvalid: xlsx.Invalid, rowExample: xlsx.Plain}
	var out bytes.Buffer
	err := xlsx.WriteResult(&out, xlsx.Sheet{Name: r.sheet, RTL: lang == "fa"}, r.header, b.cat.T(lang, "bulk.status"),
		func(yield func([]string, xlsx.Status) bool) {
			for i, row := range r.Rows {
				if !yield(r.cells[i], xlsx.Status{Text: row.Text, Kind: kinds[row.Kind]}) {
					return
				}
			}
		})
	if err != nil {
		return nil, fmt.Errorf("write result: %w", err)
	}
	return out.Bytes(), nil
}

// registerRows checks every row and stores the good ones for agencyID,
// saying what became of each.
func (b *Bot) registerRows(ctx context.Context, lang string, agencyID, liaisonID int64, fields []int, rows []sheetRow, now time.Time) (ImportReport, error) {
	codeCol := slices.Index(fields, slices.IndexFunc(domain.PlacementFields,
		func(f domain.PlacementField) bool { return f.Key == domain.FieldNationalID }))
	example := make([]bool, len(rows))
	for i, r := range rows {
		example[i] = codeCol >= 0 && codeCol < len(r.cells) && domain.Normalize(r.cells[codeCol]) == string(domain.ExampleNationalID)
	}
	valid, origin, results := b.checkRows(lang, fields, rows, now)
	// The example row is never stored, whatever else it says.
	var store []domain.Placement
	var storeOrigin []int
	for i, p := range valid {
		if !example[origin[i]] {
			// A job counts in the program year it started.
			p.AgencyID, p.LiaisonID, p.ProgramYear = agencyID, liaisonID, b.cal.ProgramYear(p.StartDate)
			store, storeOrigin = append(store, p), append(storeOrigin, origin[i])
		}
	}
	outcomes, err := b.store.BulkCreatePlacements(ctx, store, now)
	if err != nil {
		return ImportReport{}, fmt.Errorf("store rows: %w", err)
	}
	report := ImportReport{Rows: results}
	for i := range results {
		if example[i] {
			results[i].Kind, results[i].Text = rowExample, b.cat.T(lang, "bulk.example_row")
		}
	}
	agencies := map[int64]string{}
	for k, o := range outcomes {
		r := &results[storeOrigin[k]]
		if o.Duplicate == nil {
			r.Kind, r.Text = rowSaved, b.cat.T(lang, "bulk.saved", "id", digitsIn(lang, strconv.FormatInt(o.Saved.ID, 10)))
			continue
		}
		held := o.Duplicate.Existing
		if o.Duplicate.SameAgency {
			r.Kind, r.Text = rowOwn, b.cat.T(lang, "bulk.dup_own", "id", digitsIn(lang, strconv.FormatInt(held.ID, 10)),
				"date", b.cal.FormatJalaliLang(held.CreatedAt, lang))
			continue
		}
		name, ok := agencies[held.AgencyID]
		if !ok {
			name = b.cat.T(lang, "value.unknown_agency")
			if a, err := b.store.Agency(ctx, held.AgencyID); err == nil {
				name = a.Name(lang)
			}
			agencies[held.AgencyID] = name
		}
		b.cfg.Metrics.DuplicateBlocked()
		r.Kind, r.Text = rowDuplicate, b.cat.T(lang, "bulk.dup_other", "agency", name, "date", b.cal.FormatJalaliLang(held.CreatedAt, lang))
	}
	for _, r := range results {
		switch r.Kind {
		case rowSaved:
			report.Saved++
		case rowOwn:
			report.Own++
		case rowDuplicate:
			report.Duplicates++
		case rowInvalid:
			report.Invalid++
		}
	}
	return report, nil
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
