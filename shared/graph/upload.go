package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/drives"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

const (
	// SimpleUploadLimit is the largest file sent with a single PUT; larger files use an
	// upload session (the docs-contrib page's 4 MB limit, kept although newer pages say 250 MB).
	SimpleUploadLimit = 4 << 20
	// uploadChunkUnit is the unit every upload-session chunk but the last must be a multiple of.
	uploadChunkUnit = 320 << 10
	// UploadChunkSize is the upload-session chunk size: 10 × 320 KiB (3.125 MiB), well under
	// the 60 MiB limit.
	UploadChunkSize = 10 * uploadChunkUnit
)

// DriveItem is an uploaded file as Graph returned it.
type DriveItem struct {
	// ID is the drive item ID.
	ID string
	// Name is the file name.
	Name string
	// Size is the size in bytes.
	Size int64
}

// UploadFile writes size bytes from r to path ("Minutes/2026-03-10 Planning.docx", relative
// to the drive root) on driveID, replacing any existing file. Up to SimpleUploadLimit it is
// one PUT; above, an upload session whose chunks (UploadChunkSize) are PUT, in order and
// without Authorization, to the session's pre-authenticated uploadUrl. Needs
// Files.ReadWrite.All or Sites.ReadWrite.All (or Sites.Selected with a grant).
func (c *Client) UploadFile(ctx context.Context, driveID DriveID, path string, r io.Reader, size int64) (DriveItem, error) {
	if driveID == "" {
		return DriveItem{}, errors.New("upload file: drive ID is required")
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return DriveItem{}, fmt.Errorf("upload file: invalid path %q", path)
		}
	}
	if size < 0 {
		return DriveItem{}, errors.New("upload file: negative size")
	}
	escaped := make([]string, len(segs))
	for i, s := range segs {
		escaped[i] = url.PathEscape(s)
	}
	item := c.pathURL("drives", string(driveID)) + "/root:/" + strings.Join(escaped, "/") + ":"
	if size <= SimpleUploadLimit {
		return c.simpleUpload(ctx, item, r, size)
	}
	return c.sessionUpload(ctx, driveID, item, r, size)
}

func (c *Client) simpleUpload(ctx context.Context, item string, r io.Reader, size int64) (DriveItem, error) {
	data, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		return DriveItem{}, fmt.Errorf("upload file: read content: %w", err)
	}
	if int64(len(data)) != size {
		return DriveItem{}, fmt.Errorf("upload file: content is not %d bytes", size)
	}
	raw := item + "/content?@microsoft.graph.conflictBehavior=replace"
	// The compression middleware would gzip the file content; Graph stores what it gets.
	cfg := &drives.ItemItemsItemContentRequestBuilderPutRequestConfiguration{
		Options: []abs.RequestOption{khttp.NewCompressionOptionsReference(false)},
	}
	di, err := c.sdk.Drives().ByDriveId("x").Items().ByDriveItemId("x").Content().WithUrl(raw).Put(ctx, data, cfg)
	if err != nil {
		return DriveItem{}, wrap(err, "upload file")
	}
	return driveItem(di), nil
}

func (c *Client) sessionUpload(ctx context.Context, driveID DriveID, item string, r io.Reader, size int64) (DriveItem, error) {
	props := models.NewDriveItemUploadableProperties()
	props.SetAdditionalData(map[string]any{"@microsoft.graph.conflictBehavior": "replace"})
	body := drives.NewItemItemsItemCreateUploadSessionPostRequestBody()
	body.SetItem(props)
	sess, err := c.sdk.Drives().ByDriveId(string(driveID)).Items().ByDriveItemId("x").CreateUploadSession().
		WithUrl(item+"/createUploadSession").Post(ctx, body, nil)
	if err != nil {
		return DriveItem{}, wrap(err, "upload file: create upload session")
	}
	uploadURL := deref(sess.GetUploadUrl())
	if uploadURL == "" {
		return DriveItem{}, errors.New("upload file: upload session has no uploadUrl")
	}
	buf := make([]byte, UploadChunkSize)
	for off := int64(0); off < size; {
		n := min(int64(UploadChunkSize), size-off)
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			c.cancelUpload(ctx, uploadURL)
			return DriveItem{}, fmt.Errorf("upload file: read content at %d: %w", off, err)
		}
		di, done, err := c.putChunk(ctx, uploadURL, buf[:n], off, size)
		if err != nil {
			c.cancelUpload(ctx, uploadURL)
			return DriveItem{}, fmt.Errorf("upload file: chunk at %d: %w", off, err)
		}
		off += n
		if done {
			if off != size {
				return DriveItem{}, fmt.Errorf("upload file: Graph completed the upload at %d of %d bytes", off, size)
			}
			return di, nil
		}
	}
	c.cancelUpload(ctx, uploadURL)
	return DriveItem{}, errors.New("upload file: all bytes sent but Graph did not complete the upload")
}

// putChunk PUTs one chunk to the pre-authenticated uploadUrl. It deliberately uses the plain
// HTTP client: no Authorization header (Graph may answer 401 to one), no gzip.
func (c *Client) putChunk(ctx context.Context, uploadURL string, chunk []byte, off, total int64) (DriveItem, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(chunk))
	if err != nil {
		return DriveItem{}, false, err
	}
	req.ContentLength = int64(len(chunk))
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+int64(len(chunk))-1, total))
	resp, err := c.plain.Do(req)
	if err != nil {
		return DriveItem{}, false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return DriveItem{}, false, fmt.Errorf("read response: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusAccepted:
		return DriveItem{}, false, nil
	case http.StatusOK, http.StatusCreated:
		var di struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Size int64  `json:"size"`
		}
		if err := json.Unmarshal(data, &di); err != nil {
			return DriveItem{}, false, fmt.Errorf("decode drive item: %w", err)
		}
		return DriveItem{ID: di.ID, Name: di.Name, Size: di.Size}, true, nil
	}
	re := &ResponseError{Status: resp.StatusCode}
	var doc struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(data, &doc) == nil {
		re.Code, re.Message = doc.Error.Code, doc.Error.Message
	}
	return DriveItem{}, false, re
}

// cancelUpload deletes the upload session, best effort: an abandoned session expires anyway.
// It runs even when ctx is already canceled.
func (c *Client) cancelUpload(ctx context.Context, uploadURL string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, uploadURL, nil)
	if err != nil {
		return
	}
	if resp, err := c.plain.Do(req); err == nil {
		resp.Body.Close()
	}
}

func driveItem(di models.DriveItemable) DriveItem {
	if di == nil {
		return DriveItem{}
	}
	return DriveItem{ID: deref(di.GetId()), Name: deref(di.GetName()), Size: deref(di.GetSize())}
}
