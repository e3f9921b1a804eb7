package onboarding_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/audit"
	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/onboarding"
	"github.com/meetingminutes/minutes/shared/store"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

type bundle struct {
	db   *dbtest.DB
	reg  *tenancy.Registry
	res  store.Resolver
	prov *onboarding.Provisioner
	now  time.Time
}

func setup(t *testing.T) *bundle {
	t.Helper()
	db := dbtest.New(t)
	b := &bundle{db: db, reg: tenancy.NewRegistry(db.App), res: store.NewManagedResolver(db.App),
		now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	b.prov = onboarding.New(b.reg, b.res, db.App, func() time.Time { return b.now })
	return b
}

func request() onboarding.Request {
	return onboarding.Request{AzureTenantID: uuid.New(), Name: "Contoso Ltd",
		Admin: onboarding.Admin{ObjectID: uuid.New(), Email: "Admin@Contoso.example", Name: "Ada Admin"}}
}

func TestProvisionCreatesEverythingATenantStartsWith(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	res, err := b.prov.Provision(ctx, request())
	require.NoError(t, err)
	require.True(t, res.Created)
	require.Equal(t, tenancy.PlanStarter, res.Tenant.Plan)
	require.NotNil(t, res.Tenant.TrialEndsAt)
	require.Equal(t, b.now.Add(14*24*time.Hour), res.Tenant.TrialEndsAt.UTC())

	st, err := b.res.For(ctx, res.Tenant.ID)
	require.NoError(t, err)
	tpl, err := st.DefaultTemplate(ctx)
	require.NoError(t, err)
	require.Equal(t, onboarding.DefaultTemplateName, tpl.Name)
	users, err := st.ListUsers(ctx, store.ListUsersParams{})
	require.NoError(t, err)
	require.Len(t, users, 1)
	require.Equal(t, store.RoleAdmin, users[0].Role)
	require.Equal(t, res.AdminUser.ID, users[0].ID)

	var kinds []string
	require.NoError(t, tenancy.WithReadTx(ctx, b.db.App, res.Tenant.ID, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, "SELECT kind FROM graph_subscriptions WHERE status = 'requested' ORDER BY kind")
		var err error
		kinds, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}))
	require.Equal(t, []string{"call_records", "transcripts"}, kinds, "both Graph subscriptions are queued")

	v, err := audit.Verify(ctx, b.db.App, res.Tenant.ID)
	require.NoError(t, err)
	require.True(t, v.OK)
	recs, err := audit.List(ctx, b.db.App, res.Tenant.ID, audit.ListParams{})
	require.NoError(t, err)
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
	}
	require.ElementsMatch(t, []string{"tenant.provisioned", "consent.granted"}, actions)
}

func TestProvisionIsIdempotentUnderConcurrentReplays(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	req := request()
	const n = 8
	results := make([]onboarding.Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = b.prov.Provision(ctx, req)
		}(i)
	}
	wg.Wait()
	created := 0
	for i := 0; i < n; i++ {
		require.NoError(t, errs[i])
		require.Equal(t, results[0].Tenant.ID, results[i].Tenant.ID)
		require.Equal(t, results[0].AdminUser.ID, results[i].AdminUser.ID)
		if results[i].Created {
			created++
		}
	}
	require.Equal(t, 1, created)

	again, err := b.prov.Provision(ctx, req)
	require.NoError(t, err)
	require.False(t, again.Created)

	st, err := b.res.For(ctx, again.Tenant.ID)
	require.NoError(t, err)
	tpls, err := st.ListTemplates(ctx)
	require.NoError(t, err)
	require.Len(t, tpls, 1, "one default template, whatever the replays")
	users, err := st.ListUsers(ctx, store.ListUsersParams{})
	require.NoError(t, err)
	require.Len(t, users, 1)
	var subs int
	require.NoError(t, tenancy.WithReadTx(ctx, b.db.App, again.Tenant.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT count(*) FROM graph_subscriptions").Scan(&subs)
	}))
	require.Equal(t, 2, subs)
	v, err := audit.Verify(ctx, b.db.App, again.Tenant.ID)
	require.NoError(t, err)
	require.True(t, v.OK)
	recs, err := audit.List(ctx, b.db.App, again.Tenant.ID, audit.ListParams{})
	require.NoError(t, err)
	provisioned := 0
	for _, r := range recs {
		if r.Action == "tenant.provisioned" {
			provisioned++
		}
	}
	require.Equal(t, 1, provisioned)
}

func TestProvisionPromotesAnExistingMemberWhoConsents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	req := request()
	first, err := b.prov.Provision(ctx, req)
	require.NoError(t, err)
	st, err := b.res.For(ctx, first.Tenant.ID)
	require.NoError(t, err)
	member, err := st.CreateUser(ctx, store.UserInput{Email: "second@contoso.example", EntraObjectID: uuid.New()})
	require.NoError(t, err)
	req.Admin = onboarding.Admin{ObjectID: member.EntraObjectID, Email: member.Email, Name: "Second"}
	res, err := b.prov.Provision(ctx, req)
	require.NoError(t, err)
	require.Equal(t, member.ID, res.AdminUser.ID)
	require.Equal(t, store.RoleAdmin, res.AdminUser.Role)
}

func TestProvisionRejectsIncompleteRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, mut := range []func(*onboarding.Request){
		func(r *onboarding.Request) { r.AzureTenantID = uuid.Nil },
		func(r *onboarding.Request) { r.Admin.ObjectID = uuid.Nil },
		func(r *onboarding.Request) { r.Admin.Email = " " },
	} {
		req := request()
		mut(&req)
		_, err := b.prov.Provision(context.Background(), req)
		require.ErrorIs(t, err, onboarding.ErrInvalidRequest)
	}
}

// BenchmarkProvision measures server-side provisioning of a fresh tenant (goal < 1 s).
func BenchmarkProvision(b *testing.B) {
	db := dbtest.New(b)
	prov := onboarding.New(tenancy.NewRegistry(db.App), store.NewManagedResolver(db.App), db.App, nil)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := prov.Provision(ctx, request()); err != nil {
			b.Fatal(err)
		}
	}
}

type customers struct {
	calls  []string
	failed bool
}

func (c *customers) EnsureCustomer(_ context.Context, t tenancy.Tenant, email string) (string, error) {
	c.calls = append(c.calls, t.ID.String()+" "+email)
	if c.failed {
		return "", errors.New("stripe down")
	}
	return "cus_" + t.ID.String()[:8], nil
}

func TestProvisionCreatesTheBillingCustomer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := &customers{}
	b.prov.WithCustomers(c)
	res, err := b.prov.Provision(context.Background(), request())
	require.NoError(t, err)
	require.Equal(t, []string{res.Tenant.ID.String() + " Admin@Contoso.example"}, c.calls)

	// Stripe down never blocks a sign-up (Checkout creates the customer later).
	c.failed = true
	res2, err := b.prov.Provision(context.Background(), request())
	require.NoError(t, err)
	require.NotEqual(t, res.Tenant.ID, res2.Tenant.ID)
	require.Len(t, c.calls, 2)
}
