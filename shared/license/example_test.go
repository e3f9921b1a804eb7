package license_test

import (
	"fmt"
	"os"
	"time"

	"github.com/meetingminutes/minutes/shared/license"
)

// A vendor signs a license with its private key; the product verifies it with the key built
// into the binary (here the development key, whose private half is in testdata).
func ExampleVerifier_Verify() {
	pemBytes, err := os.ReadFile("testdata/dev_private.pem")
	if err != nil {
		panic(err)
	}
	key, err := license.ParsePrivateKeyPEM(pemBytes)
	if err != nil {
		panic(err)
	}
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	token, err := license.Issue(key, license.Claims{Customer: "Contoso Ltd", Edition: license.EditionEnterprise, Seats: 50,
		IssuedAt: issued, ExpiresAt: issued.AddDate(1, 0, 0), OfflineGracePeriod: 14 * 24 * time.Hour})
	if err != nil {
		panic(err)
	}

	at := issued.AddDate(1, 0, 3) // three days after expiry
	v, err := license.NewEmbeddedVerifier(&license.Options{Now: func() time.Time { return at }})
	if err != nil {
		panic(err)
	}
	lic, err := v.Verify(token + "\n")
	if err != nil {
		panic(err)
	}
	fmt.Println(lic.Customer, lic.Edition, lic.Seats, lic.State(at))
	fmt.Println(lic.Check(at))
	// Output:
	// Contoso Ltd enterprise 50 grace
	// expired 2027-01-01, in the grace period until 2027-01-15: renew the license; enterprise edition, 50 seats; signed with the development key <nil>
}
