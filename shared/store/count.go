package store

import (
	"context"
	"fmt"
)

// UserLister pages through a tenant's users; Store satisfies it.
type UserLister interface {
	ListUsers(ctx context.Context, p ListUsersParams) ([]User, error)
}

// CountActiveUsers counts the active users of st's tenant (the seats in use, the active-user
// meter), paging through every user.
func CountActiveUsers(ctx context.Context, st UserLister) (int, error) {
	n, after := 0, ""
	for {
		page, err := st.ListUsers(ctx, ListUsersParams{Limit: MaxLimit, AfterEmail: after})
		if err != nil {
			return 0, fmt.Errorf("count active users: %w", err)
		}
		for _, u := range page {
			if u.Status == UserActive {
				n++
			}
		}
		if len(page) < MaxLimit {
			return n, nil
		}
		after = page[len(page)-1].Email
	}
}
