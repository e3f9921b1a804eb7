package graph

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"
)

// newCredential returns the app-only credential for tenant. A https authority (production)
// uses azidentity; an http loopback authority (tests against entratest, which azidentity
// refuses because it is not https) uses loopbackCredential.
func newCredential(o ClientsOptions, tenant uuid.UUID) (azcore.TokenCredential, error) {
	auth, err := url.Parse(o.Authority)
	if err != nil {
		return nil, fmt.Errorf("parse authority: %w", err)
	}
	if auth.Scheme == "http" {
		if o.ClientSecret == "" {
			return nil, fmt.Errorf("loopback authority %s supports client secrets only", o.Authority)
		}
		return newLoopbackCredential(o.Authority, tenant, o.ClientID, o.ClientSecret, o.HTTPClient), nil
	}
	clientOpts := azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: o.Authority, Services: cloud.AzurePublic.Services},
		Transport: o.HTTPClient,
	}
	// Instance discovery asks login.microsoftonline.com about the authority; skip it for any
	// authority that is not the public cloud's (sovereign clouds, test servers).
	disableDiscovery := strings.TrimRight(o.Authority, "/") != strings.TrimRight(DefaultAuthority, "/")
	if o.ClientSecret != "" {
		cred, err := azidentity.NewClientSecretCredential(tenant.String(), o.ClientID, o.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOpts, DisableInstanceDiscovery: disableDiscovery})
		if err != nil {
			return nil, fmt.Errorf("client secret credential: %w", err)
		}
		return cred, nil
	}
	cred, err := azidentity.NewClientCertificateCredential(tenant.String(), o.ClientID, o.Certificate, o.PrivateKey,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOpts, DisableInstanceDiscovery: disableDiscovery})
	if err != nil {
		return nil, fmt.Errorf("client certificate credential: %w", err)
	}
	return cred, nil
}
