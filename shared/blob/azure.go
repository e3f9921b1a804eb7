package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Azure is a [Store] in one Azure Blob Storage container (or Azurite's). Objects are block
// blobs named by their keys; the SHA-256 of the content is kept in the blob's metadata
// ("sha256"), the content type in its Content-Type property.
type Azure struct {
	c         *container.Client
	pageSize  int32
	blockSize int
	deleters  int
}

var _ Store = (*Azure)(nil)

// AzureOptions are the optional settings of [NewAzure] and [NewAzureFromConnectionString];
// nil means all defaults.
type AzureOptions struct {
	// Client configures the SDK client (retries, transport, per-call policies); nil means the
	// SDK's defaults.
	Client *container.ClientOptions
	// ListPageSize is the number of blobs asked for per List page; default 5000, the service
	// maximum. Smaller values are for tests of paging.
	ListPageSize int32
	// BlockSize is the size in bytes of the blocks a large Put is staged in; content that fits
	// in one block is uploaded with a single request. Default 4 MiB; at most 100 MiB.
	BlockSize int
	// DeleteConcurrency is the number of deletes DeletePrefix runs at once; default 8.
	DeleteConcurrency int
}

const (
	defaultPageSize    = 5000
	defaultBlockSize   = 4 << 20
	maxBlockSize       = 100 << 20
	defaultDeleteConns = 8
	// sha256Meta is the metadata name holding the hex SHA-256 of the content.
	sha256Meta = "sha256"
)

// NewAzureFromConnectionString returns a Store on containerName in the account of a storage
// connection string (as Azurite and the portal give it). It does not create the container:
// see [Azure.EnsureContainer].
func NewAzureFromConnectionString(connectionString, containerName string, opts *AzureOptions) (*Azure, error) {
	o := opts.withDefaults()
	c, err := container.NewClientFromConnectionString(connectionString, containerName, o.Client)
	if err != nil {
		return nil, fmt.Errorf("create blob client for container %s: %w", containerName, err)
	}
	return o.store(c)
}

// NewAzure returns a Store on containerName in the account at accountURL
// (https://ACCOUNT.blob.core.windows.net), authenticating with cred (a managed identity or
// workload identity credential, typically). It does not create the container: see
// [Azure.EnsureContainer].
func NewAzure(accountURL string, cred azcore.TokenCredential, containerName string, opts *AzureOptions) (*Azure, error) {
	if cred == nil {
		return nil, errors.New("create blob client: nil credential")
	}
	o := opts.withDefaults()
	c, err := container.NewClient(runtime.JoinPaths(accountURL, containerName), cred, o.Client)
	if err != nil {
		return nil, fmt.Errorf("create blob client for container %s: %w", containerName, err)
	}
	return o.store(c)
}

func (o *AzureOptions) withDefaults() AzureOptions {
	var r AzureOptions
	if o != nil {
		r = *o
	}
	if r.ListPageSize <= 0 || r.ListPageSize > defaultPageSize {
		r.ListPageSize = defaultPageSize
	}
	if r.BlockSize <= 0 {
		r.BlockSize = defaultBlockSize
	}
	if r.DeleteConcurrency <= 0 {
		r.DeleteConcurrency = defaultDeleteConns
	}
	return r
}

func (o AzureOptions) store(c *container.Client) (*Azure, error) {
	if o.BlockSize > maxBlockSize {
		return nil, fmt.Errorf("create blob client: BlockSize %d exceeds %d", o.BlockSize, maxBlockSize)
	}
	return &Azure{c: c, pageSize: o.ListPageSize, blockSize: o.BlockSize, deleters: o.DeleteConcurrency}, nil
}

// EnsureContainer creates the container when it does not exist yet (private access).
func (a *Azure) EnsureContainer(ctx context.Context) error {
	_, err := a.c.Create(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return fmt.Errorf("create blob container %s: %w", a.c.URL(), err)
	}
	return nil
}

// Put implements [Store.Put]. Content that fits in one block goes up in one request; larger
// content is staged block by block (ids unique to this upload, so concurrent Puts of one key
// cannot mix blocks) and committed at once, with its SHA-256, so it is atomic either way.
func (a *Azure) Put(ctx context.Context, key string, r io.Reader, opts PutOptions) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := a.put(ctx, key, r, contentType(opts)); err != nil {
		return fmt.Errorf("put blob %s: %w", key, err)
	}
	return nil
}

func (a *Azure) put(ctx context.Context, key string, r io.Reader, ctype string) error {
	bb := a.c.NewBlockBlobClient(key)
	headers := &blob.HTTPHeaders{BlobContentType: to.Ptr(ctype)}
	h := sha256.New()
	buf := make([]byte, a.blockSize)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read content: %w", err)
	}
	h.Write(buf[:n])
	if n < len(buf) { // everything fits in one request
		_, err := bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(buf[:n])), &blockblob.UploadOptions{
			HTTPHeaders: headers,
			Metadata:    map[string]*string{sha256Meta: to.Ptr(hex.EncodeToString(h.Sum(nil)))},
		})
		return err
	}
	var upload [16]byte
	_, _ = rand.Read(upload[:]) // crypto/rand.Read never fails
	var ids []string
	for n > 0 {
		var raw [20]byte
		copy(raw[:16], upload[:])
		binary.BigEndian.PutUint32(raw[16:], uint32(len(ids)))
		id := base64.StdEncoding.EncodeToString(raw[:])
		if _, err := bb.StageBlock(ctx, id, streaming.NopCloser(bytes.NewReader(buf[:n])), nil); err != nil {
			return fmt.Errorf("stage block %d: %w", len(ids), err)
		}
		ids = append(ids, id)
		n, err = io.ReadFull(r, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read content: %w", err)
		}
		h.Write(buf[:n])
	}
	_, err = bb.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{
		HTTPHeaders: headers,
		Metadata:    map[string]*string{sha256Meta: to.Ptr(hex.EncodeToString(h.Sum(nil)))},
	})
	if bloberror.HasCode(err, bloberror.InvalidBlockList) {
		// Another upload of this key committed first and discarded our uncommitted blocks.
		return fmt.Errorf("commit %d blocks: %w: %w", len(ids), ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("commit %d blocks: %w", len(ids), err)
	}
	return nil
}

// Get implements [Store.Get].
func (a *Azure) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	resp, err := a.c.NewBlobClient(key).DownloadStream(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil, fmt.Errorf("get blob %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", key, err)
	}
	// The retry reader resumes from the last byte read if the connection drops mid-body.
	return resp.NewRetryReader(ctx, nil), nil
}

// List implements [Store.List], reading every page.
func (a *Azure) List(ctx context.Context, prefix string) ([]Object, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	opts := &container.ListBlobsFlatOptions{
		MaxResults: to.Ptr(a.pageSize),
		Include:    container.ListBlobsInclude{Metadata: true},
	}
	if prefix != "" {
		opts.Prefix = to.Ptr(prefix)
	}
	var objs []Object
	pager := a.c.NewListBlobsFlatPager(opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list blobs under %q: page %d: %w", prefix, len(objs)/int(a.pageSize)+1, err)
		}
		if page.Segment == nil {
			continue
		}
		for _, item := range page.Segment.BlobItems {
			if item == nil || item.Name == nil {
				continue
			}
			o := Object{Key: *item.Name, ContentType: DefaultContentType}
			if p := item.Properties; p != nil {
				if p.ContentLength != nil {
					o.Size = *p.ContentLength
				}
				if p.ContentType != nil && *p.ContentType != "" {
					o.ContentType = *p.ContentType
				}
			}
			for k, v := range item.Metadata {
				if strings.EqualFold(k, sha256Meta) && v != nil {
					o.SHA256 = *v
				}
			}
			objs = append(objs, o)
		}
	}
	return objs, nil
}

// Delete implements [Store.Delete]; the blob's snapshots go with it.
func (a *Azure) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := a.delete(ctx, key); err != nil {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	return nil
}

func (a *Azure) delete(ctx context.Context, key string) error {
	_, err := a.c.NewBlobClient(key).Delete(ctx, &blob.DeleteOptions{
		DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude),
	})
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return ErrNotFound
	}
	return err
}

// DeletePrefix implements [Store.DeletePrefix]: it lists the prefix and deletes each blob,
// several at once. Blobs that vanish meanwhile are not counted.
func (a *Azure) DeletePrefix(ctx context.Context, prefix string) (int, error) {
	if err := validateDirPrefix(prefix); err != nil {
		return 0, err
	}
	objs, err := a.List(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("delete blobs under %s: %w", prefix, err)
	}
	var (
		mu    sync.Mutex
		n     int
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, a.deleters)
	)
	for _, o := range objs {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			err := a.delete(ctx, o.Key)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				n++
			case !errors.Is(err, ErrNotFound):
				errs = append(errs, fmt.Errorf("%s: %w", o.Key, err))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return n, fmt.Errorf("delete blobs under %s: %w", prefix, err)
	}
	return n, nil
}
