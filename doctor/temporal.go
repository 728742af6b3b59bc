package doctor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync/worker"
)

// The Temporal checks' names.
const (
	CheckTemporal         = "temporal: reachable"
	CheckNamespace        = "temporal: namespace"
	CheckSearchAttributes = "temporal: search attributes"
	CheckWorker           = "temporal: worker polling"
)

// checkTemporal checks the frontend, the namespace, the search attributes
// and, when asked, that a worker polls the task queue.
func (r *run) checkTemporal(ctx context.Context) {
	addr, ns, queue := r.Config.Temporal.HostPort, r.Config.Temporal.Namespace, r.Config.TaskQueue
	later := []string{CheckNamespace, CheckSearchAttributes}
	if r.ExpectWorker {
		later = append(later, CheckWorker)
	}
	skipLater := func(why string, names []string) {
		for _, n := range names {
			r.skip(n, why)
		}
	}
	if r.Temporal == nil {
		r.fail(CheckTemporal, "no client", "")
		skipLater("Temporal is unreachable", later)
		return
	}
	call, cancel := r.call(ctx)
	_, err := r.Temporal.CheckHealth(call, &client.CheckHealthRequest{})
	cancel()
	if err != nil {
		r.fail(CheckTemporal, fmt.Sprintf("%s does not answer: %s", addr, oneLine(err)),
			"start Temporal, or set TEMPORAL_ADDRESS (and TEMPORAL_TLS_*/TEMPORAL_API_KEY for Temporal Cloud)")
		skipLater("Temporal is unreachable", later)
		return
	}
	r.pass(CheckTemporal, addr)

	call, cancel = r.call(ctx)
	_, err = r.Temporal.WorkflowService().DescribeNamespace(call, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	cancel()
	var notFound *serviceerror.NamespaceNotFound
	var notFound2 *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound) || errors.As(err, &notFound2):
		r.fail(CheckNamespace, fmt.Sprintf("namespace %s does not exist", ns),
			fmt.Sprintf("create it (temporal operator namespace create --namespace %s), or set TEMPORAL_NAMESPACE", ns))
		skipLater("the namespace does not exist", later[1:])
		return
	case err != nil:
		r.fail(CheckNamespace, fmt.Sprintf("describe namespace %s: %s", ns, oneLine(err)), "check the client's permissions on the namespace")
		skipLater("the namespace could not be read", later[1:])
		return
	}
	r.pass(CheckNamespace, ns)
	r.checkSearchAttributes(ctx, ns)
	if r.ExpectWorker {
		r.checkWorkerPolls(ctx, queue)
	}
}

// checkSearchAttributes compares the namespace's custom search attributes
// with those hiresync sets (worker.SearchAttributes).
func (r *run) checkSearchAttributes(ctx context.Context, ns string) {
	call, cancel := r.call(ctx)
	defer cancel()
	have, err := r.Temporal.OperatorService().ListSearchAttributes(call, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		r.fail(CheckSearchAttributes, "list search attributes: "+oneLine(err), "check the client's permissions on the namespace")
		return
	}
	var missing, wrong, wrongNames []string
	for _, name := range slices.Sorted(maps.Keys(worker.SearchAttributes)) {
		want := worker.SearchAttributes[name]
		got, ok := have.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case got != want:
			wrong = append(wrong, fmt.Sprintf("%s is %s, hiresync needs %s", name, typeName(got), typeName(want)))
			wrongNames = append(wrongNames, name)
		}
	}
	switch {
	case len(wrong) > 0:
		detail := strings.Join(wrong, "; ")
		if len(missing) > 0 {
			detail += "; missing " + strings.Join(missing, ", ")
		}
		r.fail(CheckSearchAttributes, detail, fmt.Sprintf(
			"a search attribute's type cannot change: remove it (temporal operator search-attribute remove --namespace %s --name %s), then run `hiresync setup`",
			ns, strings.Join(wrongNames, " --name ")))
	case len(missing) > 0:
		r.fail(CheckSearchAttributes, "missing "+strings.Join(missing, ", "), "run `hiresync setup`")
	default:
		r.pass(CheckSearchAttributes, strings.Join(slices.Sorted(maps.Keys(worker.SearchAttributes)), ", "))
	}
}

// typeName is a search attribute type as the temporal CLI spells it.
func typeName(t enumspb.IndexedValueType) string {
	s := strings.TrimPrefix(t.String(), "INDEXED_VALUE_TYPE_")
	var b strings.Builder
	for _, part := range strings.Split(strings.ToLower(s), "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// checkWorkerPolls warns when no worker polls the task queue: events are
// accepted but nothing acts on them.
func (r *run) checkWorkerPolls(ctx context.Context, queue string) {
	call, cancel := r.call(ctx)
	defer cancel()
	resp, err := r.Temporal.DescribeTaskQueue(call, queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	switch {
	case err != nil:
		r.warn(CheckWorker, fmt.Sprintf("describe task queue %s: %s", queue, oneLine(err)), "")
	case len(resp.GetPollers()) == 0:
		r.warn(CheckWorker, fmt.Sprintf("no worker polls task queue %s", queue),
			"start `hiresync serve` or `hiresync worker` (fine to ignore before the first start)")
	default:
		r.pass(CheckWorker, fmt.Sprintf("%d poller(s) on task queue %s", len(resp.GetPollers()), queue))
	}
}
