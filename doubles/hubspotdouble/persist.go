package hubspotdouble

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/hiresync/hiresync/doubles/persist"
)

// stateFormat names the file format Save writes, so that Load refuses a file
// written by something else (the Slack double's, say).
const stateFormat = "hiresync-hubspot-double/1"

// savedState is what Save writes: the durable data only. HubSpot's own
// groups and properties come from the code; faults, the rate window and
// counters start afresh with every process.
type savedState struct {
	Format string `json:"format"`
	// NextID is the record id the next new contact gets.
	NextID   int64     `json:"next_id"`
	Contacts []Contact `json:"contacts"`
	// Groups and Properties are those created through the API, in order.
	Groups     []PropertyGroup `json:"groups"`
	Properties []Property      `json:"properties"`
}

// Save writes the double's contacts, the property groups and properties
// created through the API, and the record id counter to path as JSON,
// atomically (a temporary file renamed over path), so a reader or a crash
// never sees half a file.
func (d *Double) Save(path string) error {
	_, err := d.save(path)
	return err
}

func (d *Double) save(path string) (uint64, error) {
	d.saveMu.Lock()
	defer d.saveMu.Unlock()
	d.mu.Lock()
	st := savedState{Format: stateFormat, NextID: d.nextID, Contacts: d.contactsLocked(), Groups: []PropertyGroup{}, Properties: []Property{}}
	defaults := defaultGroupNames()
	for _, n := range d.groupOrder {
		if !defaults[n] {
			st.Groups = append(st.Groups, d.groups[n])
		}
	}
	for _, n := range d.propOrder {
		if p := d.properties[n]; !p.HubspotDefined {
			st.Properties = append(st.Properties, p)
		}
	}
	version := d.changes
	d.mu.Unlock()

	return version, persist.Save(path, "hubspot double", st)
}

// Load replaces the double's contacts, API-created groups and properties and
// record id counter with those saved in path; options, faults and counters
// stay. A missing file is an error that satisfies errors.Is(err,
// fs.ErrNotExist); a file that is not the double's state is an error naming
// it.
func (d *Double) Load(path string) error {
	var st savedState
	if err := persist.Load(path, "hubspot double", stateFormat, &st); err != nil {
		return err
	}
	fresh := New(Options{})
	if err := fresh.restore(st); err != nil {
		return fmt.Errorf("load hubspot double state from %s: %w", path, err)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	fresh.mu.Lock()
	defer fresh.mu.Unlock()
	d.contacts, d.byID, d.nextID = fresh.contacts, fresh.byID, fresh.nextID
	d.groups, d.groupOrder = fresh.groups, fresh.groupOrder
	d.properties, d.propOrder = fresh.properties, fresh.propOrder
	d.changes++
	return nil
}

// restore fills a new double with a saved state, checking it on the way.
func (d *Double) restore(st savedState) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, g := range st.Groups {
		if g.Name == "" {
			return errors.New("a property group without a name")
		}
		d.addGroupLocked(g)
	}
	for _, p := range st.Properties {
		if p.Name == "" {
			return errors.New("a property without a name")
		}
		if _, ok := d.groups[p.GroupName]; !ok {
			return fmt.Errorf("property %s: no group %q", p.Name, p.GroupName)
		}
		if p.CreatedAt.IsZero() {
			// A zero time marks HubSpot's own properties.
			p.CreatedAt = time.Now().UTC()
			p.UpdatedAt = p.CreatedAt
		}
		p.HubspotDefined = false
		d.addPropertyLocked(p)
	}
	d.nextID = max(d.nextID, st.NextID)
	for _, c := range st.Contacts {
		id, err := strconv.ParseInt(c.ID, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("contact id %q is not a record id", c.ID)
		}
		email := strings.ToLower(c.Properties["email"])
		switch {
		case email == "":
			return fmt.Errorf("contact %s has no email", c.ID)
		case d.byID[c.ID] != nil:
			return fmt.Errorf("two contacts with id %s", c.ID)
		case d.contacts[email] != nil:
			return fmt.Errorf("two contacts with email %s", email)
		}
		props := maps.Clone(c.Properties)
		props["email"] = email
		props["hs_object_id"] = c.ID
		cc := &contact{id: c.ID, props: props, createdAt: c.CreatedAt, updatedAt: c.UpdatedAt}
		d.contacts[email] = cc
		d.byID[c.ID] = cc
		d.nextID = max(d.nextID, id+1)
	}
	return nil
}

func defaultGroupNames() map[string]bool {
	names := map[string]bool{}
	for _, g := range defaultGroups() {
		names[g.Name] = true
	}
	return names
}

// AutoSave saves the double to path at the first tick and then after
// changes, at most once per interval, until ctx ends (persist.AutoSave).
func (d *Double) AutoSave(ctx context.Context, path string, interval time.Duration, report func(error)) {
	version := func() uint64 {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.changes
	}
	persist.AutoSave(ctx, interval, version, func() (uint64, error) { return d.save(path) }, report)
}
