package store_test

import (
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

func TestCreateTemplate(t *testing.T) {
	t.Parallel()
	st, b := setup(t)

	t.Run("fills the schema's defaults", func(t *testing.T) {
		tpl := createTemplate(t, st, &templateOpts{Name: "Plain"})
		require.Equal(t, store.DefaultSections(), tpl.Sections)
		require.Equal(t, store.ToneNeutral, tpl.Tone)
		require.Equal(t, store.DefaultLanguage, tpl.Language)
		require.False(t, tpl.IsDefault)

		// The Go defaults are the column defaults: a row inserted with neither reads back alike.
		var raw store.TemplateID
		require.NoError(t, tenancy.WithTx(b.ctx, b.db.App, b.tenant, func(tx pgx.Tx) error {
			return tx.QueryRow(b.ctx, `INSERT INTO templates (tenant_id, name) VALUES ($1, 'Raw') RETURNING id`, b.tenant).Scan(&raw)
		}))
		got, err := st.Template(b.ctx, raw)
		require.NoError(t, err)
		require.Equal(t, tpl.Sections, got.Sections)
		require.Equal(t, tpl.Tone, got.Tone)
		require.Equal(t, tpl.Language, got.Language)
	})

	t.Run("keeps what it is given", func(t *testing.T) {
		tpl, err := st.CreateTemplate(b.ctx, store.TemplateInput{Name: "Board", Sections: []string{"decisions"}, Tone: store.ToneFormal, Language: "de-CH"})
		require.NoError(t, err)
		got, err := st.Template(b.ctx, tpl.ID)
		require.NoError(t, err)
		require.Equal(t, tpl, got)
		require.Equal(t, []string{"decisions"}, got.Sections)
	})

	cases := []struct {
		name string
		in   store.TemplateInput
		want error
	}{
		{"name taken", store.TemplateInput{Name: "Plain"}, store.ErrConflict},
		{"no name", store.TemplateInput{}, store.ErrInvalid},
		{"unknown tone", store.TemplateInput{Name: "x", Tone: "sarcastic"}, store.ErrInvalid},
		{"language too short", store.TemplateInput{Name: "y", Language: "e"}, store.ErrInvalid},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.CreateTemplate(b.ctx, tt.in)
			requireErrorIs(t, err, tt.want)
		})
	}
}

func TestDefaultTemplate(t *testing.T) {
	t.Parallel()

	t.Run("exactly one default, recorded in the settings", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		_, err := st.DefaultTemplate(b.ctx)
		requireErrorIs(t, err, store.ErrNotFound)

		t1 := createTemplate(t, st, &templateOpts{Name: "b"})
		t2 := createTemplate(t, st, &templateOpts{Name: "a"})
		_, err = st.SaveSettings(b.ctx, store.DefaultSettings()) // a settings row to keep in step
		require.NoError(t, err)

		for _, id := range []store.TemplateID{t1.ID, t2.ID, t2.ID, t1.ID} {
			got, err := st.SetDefaultTemplate(b.ctx, id)
			require.NoError(t, err)
			require.True(t, got.IsDefault)
			def, err := st.DefaultTemplate(b.ctx)
			require.NoError(t, err)
			require.Equal(t, got, def)
			settings, err := st.Settings(b.ctx)
			require.NoError(t, err)
			require.Equal(t, id, settings.DefaultTemplateID)
		}
		all, err := st.ListTemplates(b.ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, "a", all[0].Name, "ordered by name")
		require.Equal(t, []bool{false, true}, []bool{all[0].IsDefault, all[1].IsDefault})
	})

	t.Run("a missing template changes nothing", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		t1 := createTemplate(t, st, nil)
		_, err := st.SetDefaultTemplate(b.ctx, t1.ID)
		require.NoError(t, err)
		missing, _ := store.ParseTemplateID(uuid.NewString())
		_, err = st.SetDefaultTemplate(b.ctx, missing)
		requireErrorIs(t, err, store.ErrNotFound)
		_, err = st.Template(b.ctx, missing)
		requireErrorIs(t, err, store.ErrNotFound)
		def, err := st.DefaultTemplate(b.ctx)
		require.NoError(t, err)
		require.Equal(t, t1.ID, def.ID)
	})

	t.Run("concurrent switches leave one default", func(t *testing.T) {
		t.Parallel()
		st, b := setup(t)
		var tpls []store.Template
		for range 4 {
			tpls = append(tpls, createTemplate(t, st, nil))
		}
		var wg sync.WaitGroup
		errs := make([]error, 3*len(tpls))
		for i := range errs {
			wg.Go(func() { _, errs[i] = st.SetDefaultTemplate(b.ctx, tpls[i%len(tpls)].ID) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		all, err := st.ListTemplates(b.ctx)
		require.NoError(t, err)
		defaults := 0
		for _, tpl := range all {
			if tpl.IsDefault {
				defaults++
			}
		}
		require.Equal(t, 1, defaults)
	})
}
