// Package config parses the process configuration from environment variables, once, into a
// typed Config. It is the only package that reads the environment.
//
// The keys are those of local.settings.sample.json "Values" (the Functions host injects them
// as environment variables; standalone installs set them directly). A malformed value is an
// error naming the key; an absent optional value switches its feature off, which Features
// reports with the reason, and the process still starts.
package config
