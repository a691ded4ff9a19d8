package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/portfolio/store"
)

// newEditCmd is "hardfolio edit": the portfolio file in the user's
// editor, saved only once it decodes and validates.
func newEditCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "edit",
		Short: "Edit the portfolio file in your editor; it is checked before it is saved",
		Long: `Open the portfolio file in $EDITOR (else $VISUAL, else vi) and save it when
the editor exits, keeping your layout and comments. The editor works on a
temporary copy (mode 0600, deleted afterwards; decrypted if the portfolio
is encrypted). When the edited file does not decode or validate, the editor
opens again with the errors as comment lines at the top; they are removed
before the file is checked again. Leave the file unchanged, or empty it, to
cancel. An invalid file is never saved.

A portfolio file that does not load (after editing it by hand) can be
repaired with this command: the editor opens with its errors shown.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.demo {
				return book.ErrDemo
			}
			f, content, loadErr, err := g.openSource(cmd)
			if err != nil {
				return err
			}
			defer f.Close()
			// Errors name the file as the store resolved it, or as joined
			// from --data-dir when it failed to load.
			names := []string{f.Path(), filepath.Join(g.dir(), book.FileName)}
			return editLoop(cmd, f, names, content, loadErr)
		},
	}
}

// sourceFile is a portfolio file whose text can be replaced after a check:
// a Book, or the bare store of a file that does not load.
type sourceFile interface {
	Path() string
	SaveSource(data []byte) error
	Close() error
}

// rawSource is a portfolio file that failed to decode, opened through its
// store alone so that it can be repaired. SaveSource checks like the book's.
type rawSource struct{ st *store.Store }

func (r rawSource) Path() string { return r.st.Path() }
func (r rawSource) Close() error { return r.st.Close() }
func (r rawSource) SaveSource(data []byte) error {
	if _, err := portfolio.Decode(r.st.Path(), data); err != nil {
		return err
	}
	return r.st.Save(data)
}

// openSource opens the portfolio file for editing and returns its text.
// When the file's content does not decode or validate, it is opened through
// the store instead, and loadErr is the problem to show in the editor.
func (g *globals) openSource(cmd *cobra.Command) (f sourceFile, content []byte, loadErr, err error) {
	b, err := g.open(cmd)
	if err == nil {
		if err := b.EnsureWritable(); err != nil {
			b.Close()
			return nil, nil, nil, fmt.Errorf("cannot change the portfolio: %w", err)
		}
		content, err := b.Source()
		if err != nil {
			b.Close()
			return nil, nil, nil, err
		}
		return b, content, nil, nil
	}
	if isFileError(err) {
		return nil, nil, nil, err
	}
	loadErr = err
	st, serr := store.Open(filepath.Join(g.dir(), book.FileName), store.Options{Passphrase: askPassphrase})
	if serr != nil {
		return nil, nil, nil, loadErr
	}
	if st.ReadOnly() {
		st.Close()
		return nil, nil, nil, fmt.Errorf("cannot change the portfolio: %s", st.ReadOnlyReason())
	}
	content, lerr := st.Load()
	if lerr != nil {
		st.Close()
		return nil, nil, nil, loadErr
	}
	return rawSource{st}, content, loadErr, nil
}

// editHeader starts every comment line the edit loop puts at the top of the
// file; lines starting with it are removed before the file is checked.
const editHeader = "# hardfolio edit: "

// editLoop runs the editor on a temporary copy of content until the result
// is saved, or the user cancels by leaving the file unchanged or emptying
// it. lastErr, when set, is shown at the top of the first opening.
func editLoop(cmd *cobra.Command, f sourceFile, names []string, content []byte, lastErr error) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.Path()), "portfolio-edit-*.toml")
	if err != nil {
		if tmp, err = os.CreateTemp("", "hardfolio-edit-*.toml"); err != nil {
			return fmt.Errorf("creating a temporary file to edit: %w", err)
		}
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath)

	stderr := cmd.ErrOrStderr()
	body := content
	for {
		shown := body
		if lastErr != nil {
			shown = append(errorComments(lastErr, names), body...)
		}
		// WriteFile keeps the mode CreateTemp gave; Chmod makes sure of it.
		if err := os.WriteFile(tmpPath, shown, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w; nothing saved", tmpPath, err)
		}
		if err := os.Chmod(tmpPath, 0o600); err != nil {
			return fmt.Errorf("%w; nothing saved", err)
		}
		if err := runEditor(cmd, tmpPath); err != nil {
			return err
		}
		edited, err := os.ReadFile(tmpPath)
		if err != nil {
			return fmt.Errorf("reading the edited file: %w; nothing saved", err)
		}
		next := stripErrorComments(edited)
		switch {
		case len(bytes.TrimSpace(next)) == 0:
			fmt.Fprintln(stderr, "hardfolio: the file was emptied: edit cancelled, nothing saved")
			return nil
		case bytes.Equal(edited, shown) && lastErr == nil:
			fmt.Fprintln(stderr, "hardfolio: no changes, nothing saved")
			return nil
		case bytes.Equal(edited, shown):
			return fmt.Errorf("edit cancelled, nothing saved; the edited file had these errors:\n%w", lastErr)
		case bytes.Equal(next, content) && lastErr == nil:
			fmt.Fprintln(stderr, "hardfolio: no changes, nothing saved")
			return nil
		}
		err = f.SaveSource(next)
		if err == nil {
			fmt.Fprintf(cmd.OutOrStdout(), "saved %s\n", f.Path())
			return nil
		}
		if isFileError(err) {
			return err
		}
		fmt.Fprintln(stderr, "hardfolio: the edited file has errors (shown at its top); opening the editor again")
		lastErr, body = err, next
	}
}

// editorCommand is the command line that runs the editor on path:
// $EDITOR, else $VISUAL, else vi. Like git, a value with spaces, quotes or
// other shell syntax ("code --wait") is run by the shell where there is
// one, and split at spaces elsewhere.
func editorCommand(path string) (editor string, argv []string) {
	editor = "vi"
	for _, env := range []string{"EDITOR", "VISUAL"} {
		if v := strings.TrimSpace(os.Getenv(env)); v != "" {
			editor = v
			break
		}
	}
	if !strings.ContainsAny(editor, " \t\n|&;<>()$`\\\"'*?[#~=%") {
		return editor, []string{editor, path}
	}
	if runtime.GOOS != "windows" {
		return editor, []string{"/bin/sh", "-c", editor + ` "$@"`, editor, path}
	}
	return editor, append(strings.Fields(editor), path)
}

// runEditor runs the editor on path in the terminal and waits for it. An
// interrupt while it runs goes to the editor; this process keeps waiting,
// so that it can clean up after it.
func runEditor(cmd *cobra.Command, path string) error {
	editor, argv := editorCommand(path)
	c := exec.Command(argv[0], argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	if err := c.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("editor %q: %w (set EDITOR to your editor); nothing saved", editor, err)
		}
		return fmt.Errorf("editor %q failed: %w; nothing saved", editor, err)
	}
	return nil
}

// problem is one error of an edited file, at a line of its text (0 when
// the line is not known).
type problem struct {
	line int
	msg  string
}

// problems splits err into its messages and their lines in the file, which
// the messages call by one of names: the field errors of the domain, or
// "name:line: message" lines.
func problems(err error, names []string) []problem {
	var out []problem
	if es := portfolio.AsErrors(err); len(es) > 0 {
		for _, e := range es {
			c := *e
			c.File, c.Line = "", 0
			out = append(out, problem{e.Line, c.Error()})
		}
		return out
	}
	for _, l := range strings.Split(err.Error(), "\n") {
		p := problem{msg: l}
		for _, name := range names {
			rest, ok := strings.CutPrefix(l, name+":")
			if !ok {
				continue
			}
			p.msg = strings.TrimSpace(rest)
			if num, msg, ok := strings.Cut(rest, ":"); ok {
				if n, err := strconv.Atoi(num); err == nil {
					p.line, p.msg = n, strings.TrimSpace(msg)
				}
			}
			break
		}
		out = append(out, p)
	}
	return out
}

// errorComments is the comment block shown at the top of the file after a
// failed check, with line numbers as the user will see them, below it.
func errorComments(err error, names []string) []byte {
	ps := problems(err, names)
	intro := []string{
		"the portfolio was NOT saved: fix the errors below and save, or empty the file to cancel.",
		"Lines starting with \"" + strings.TrimSpace(editHeader) + "\" are removed before the file is checked.",
	}
	offset := len(intro) + len(ps)
	var b bytes.Buffer
	for _, l := range intro {
		b.WriteString(editHeader + l + "\n")
	}
	for _, p := range ps {
		if p.line > 0 {
			fmt.Fprintf(&b, "%sline %d: %s\n", editHeader, p.line+offset, p.msg)
		} else {
			fmt.Fprintf(&b, "%s%s\n", editHeader, p.msg)
		}
	}
	return b.Bytes()
}

// stripErrorComments removes the error comment lines at the top of data.
func stripErrorComments(data []byte) []byte {
	for bytes.HasPrefix(data, []byte(editHeader)) || bytes.HasPrefix(data, []byte(strings.TrimSpace(editHeader)+"\n")) {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil
		}
		data = data[i+1:]
	}
	return data
}
