package store

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meetingminutes/minutes/shared/funchost"
)

// Sentinels for the conditions callers branch on. Each carries the HTTP status it means, so
// funchost.StatusOf maps a wrapped store error to a response without knowing this package;
// test them with errors.Is. Their messages are safe to show a caller.
var (
	// ErrNotFound reports a row that does not exist for the store's tenant. Another tenant's
	// row is indistinguishable from a missing one. 404.
	ErrNotFound = funchost.Status(http.StatusNotFound, "not found")
	// ErrConflict reports a uniqueness clash (an email, a template name, an invitation token)
	// or a change the row's current state forbids (approving rejected minutes, accepting an
	// accepted invitation, demoting the last admin). 409.
	ErrConflict = funchost.Status(http.StatusConflict, "conflict")
	// ErrInvalid reports input the schema refuses: a value outside its set, a bad length, a
	// reference to a row the tenant does not have, malformed JSON or text. 400.
	ErrInvalid = funchost.Status(http.StatusBadRequest, "invalid input")
	// ErrExpired reports an invitation used after its expiry. 410.
	ErrExpired = funchost.Status(http.StatusGone, "expired")
)

// SQLSTATE codes translated into sentinels (PostgreSQL appendix A).
const (
	codeUniqueViolation     = "23505"
	codeCheckViolation      = "23514"
	codeForeignKeyViolation = "23503"
	codeNotNullViolation    = "23502"
	codeInvalidText         = "22P02" // invalid_text_representation
	codeStringTooLong       = "22001" // string_data_right_truncation
	codeNumericOutOfRange   = "22003"
	codeDatetimeOverflow    = "22008"
	codeBadCharacter        = "22021" // character_not_in_repertoire (NUL, bad UTF-8)
	codeUntranslatable      = "22P05"
	codeInvalidJSON         = "22032" // invalid_json_text
)

// translate turns a pgx error into one of the sentinels, keeping what identifies the cause
// (the constraint or the SQLSTATE) in the message and dropping the driver's error itself, so
// no pgx type crosses the package boundary for an expected condition. Anything it does not
// recognise (a lost connection, a cancelled context) is returned unchanged: a 500 for the
// caller, and errors.Is(err, context.Canceled) still works.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case codeUniqueViolation:
		return fmt.Errorf("%w: %s already exists", ErrConflict, subject(pe))
	case codeCheckViolation, codeForeignKeyViolation, codeNotNullViolation:
		return fmt.Errorf("%w: violates %s", ErrInvalid, subject(pe))
	case codeInvalidText, codeStringTooLong, codeNumericOutOfRange, codeDatetimeOverflow,
		codeBadCharacter, codeUntranslatable, codeInvalidJSON:
		return fmt.Errorf("%w: bad value (SQLSTATE %s)", ErrInvalid, pe.Code)
	}
	return err
}

// subject names what a constraint error is about, for messages and logs.
func subject(pe *pgconn.PgError) string {
	switch {
	case pe.ConstraintName != "":
		return pe.ConstraintName
	case pe.ColumnName != "":
		return pe.TableName + "." + pe.ColumnName
	default:
		return pe.TableName
	}
}

// isUniqueViolation reports whether err is a unique violation of the named constraint (or
// unique index). Retry loops use it before the error is translated.
func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == codeUniqueViolation && pe.ConstraintName == constraint
}

// invalid returns an ErrInvalid explaining which input was refused.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
