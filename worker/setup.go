package worker

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync"
)

// SearchAttributes are hiresync's custom search attributes and their types.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	hiresync.CandidateIDAttr.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	hiresync.JobIDsAttr.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	hiresync.HiringStageAttr.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	hiresync.StalledSinceAttr.GetName(): enumspb.INDEXED_VALUE_TYPE_DATETIME,
}

// Setup registers the search attributes that are missing from namespace and
// returns the names it added; a second run adds nothing.
func Setup(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range SearchAttributes {
		got, ok := have.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case got != typ:
			return nil, fmt.Errorf("search attribute %s exists as %s, hiresync needs %s", name, got, typ)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if _, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	}); err != nil {
		return nil, fmt.Errorf("add search attributes: %w", err)
	}
	var added []string
	for name := range missing {
		added = append(added, name)
	}
	return added, nil
}
