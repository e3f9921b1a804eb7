package templatecheck

import (
	"regexp"
	"strings"
)

// CloudHosts are host names that differ between Azure clouds (public, China, US Government)
// or belong to a management endpoint: arm-ttk's "DeploymentTemplate Must Not Contain
// Hardcoded Uri" finds them in the template text. Templates get them from environment(),
// a resource's properties (primaryEndpoints, vaultUri, serviceBusEndpoint,
// fullyQualifiedDomainName, defaultHostName) instead.
var CloudHosts = []string{
	"management.azure.com",
	"management.core.windows.net",
	"login.microsoftonline.com",
	"login.windows.net",
	"graph.windows.net",
	"graph.microsoft.com",
	"gallery.azure.com",
	"core.windows.net",
	"database.windows.net",
	"servicebus.windows.net",
	"vault.azure.net",
	"azurewebsites.net",
	"applicationinsights.io",
	"marketplaceapi.microsoft.com",
	"chinacloudapi.cn",
	"usgovcloudapi.net",
	"microsoftonline.us",
}

var hostRE = regexp.MustCompile(`(?i)(` + strings.ReplaceAll(strings.Join(CloudHosts, "|"), ".", `\.`) + `)`)

// hardcodedHosts returns the cloud host names in text, ignoring schema references
// (https://schema.management.azure.com/...), which arm-ttk allows.
func hardcodedHosts(text string) []string {
	var out []string
	for _, loc := range hostRE.FindAllStringIndex(text, -1) {
		if strings.HasSuffix(strings.ToLower(text[:loc[0]]), "https://schema.") {
			continue
		}
		out = append(out, text[loc[0]:loc[1]])
	}
	return out
}
