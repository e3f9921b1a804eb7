// Command tinymain is the smallest static linux/amd64 executable the functionapp tests
// stage in place of the real handler.
package main

func main() {}
