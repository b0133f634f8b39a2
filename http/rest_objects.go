package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/osaudit/osaudit"
)

// The five endpoints of queries, packs and labels (list, create, get,
// replace, delete), written once over what differs between the kinds.

// objects is one kind of customer-owned, named object.
type objects[T any] struct {
	a    rest
	kind string // "query", for messages
	// fields points at an object's ID, customer and name.
	fields func(*T) (id, customerID *int64, name string)
	list   func(context.Context, osaudit.Scope) ([]*T, error)
	get    func(context.Context, int64) (*T, error)
	// save validates obj (old is the object it replaces, nil for a new
	// one) and stores it.
	save   func(ctx context.Context, c *caller, obj, old *T) error
	delete func(context.Context, int64) error
}

func (a rest) queries() objects[osaudit.Query] {
	return objects[osaudit.Query]{a: a, kind: "query",
		fields: func(q *osaudit.Query) (*int64, *int64, string) { return &q.ID, &q.CustomerID, q.Name },
		list:   a.Store.Queries, get: a.Store.Query, delete: a.Store.DeleteQuery,
		save: func(ctx context.Context, c *caller, q, old *osaudit.Query) error {
			if err := checkQuery(q); err != nil {
				return err
			}
			return a.Store.SaveQuery(ctx, q)
		},
	}
}

func (a rest) packs() objects[osaudit.Pack] {
	return objects[osaudit.Pack]{a: a, kind: "pack",
		fields: func(p *osaudit.Pack) (*int64, *int64, string) { return &p.ID, &p.CustomerID, p.Name },
		list:   a.Store.Packs, get: a.Store.Pack, delete: a.Store.DeletePack,
		save: func(ctx context.Context, c *caller, p, old *osaudit.Pack) error {
			if err := checkPack(p); err != nil {
				return err
			}
			if err := a.checkTargets(ctx, c, p.CustomerID, p.Targets); err != nil {
				return err
			}
			if p.Queries == nil {
				p.Queries = []osaudit.PackQuery{}
			}
			return a.Store.SavePack(ctx, p)
		},
	}
}

func (a rest) labels() objects[osaudit.Label] {
	return objects[osaudit.Label]{a: a, kind: "label",
		fields: func(l *osaudit.Label) (*int64, *int64, string) { return &l.ID, &l.CustomerID, l.Name },
		list:   a.Store.Labels, get: a.Store.Label, delete: a.Store.DeleteLabel,
		save: func(ctx context.Context, c *caller, l, old *osaudit.Label) error {
			if old != nil && l.Manual != old.Manual {
				return osaudit.Errorf(osaudit.EINVALID, "label %q: a label cannot change between manual and dynamic; delete it and create it again", old.Name)
			}
			if err := checkLabel(l); err != nil {
				return err
			}
			return a.Store.SaveLabel(ctx, l)
		},
	}
}

// decodeOwned reads an object and the optional "customer" (ID, name or
// "provider") that says who owns a new one.
func decodeOwned[T any](r *http.Request) (*T, string, error) {
	var raw map[string]json.RawMessage
	if err := decode(r, &raw); err != nil {
		return nil, "", err
	}
	var customer string
	if v, ok := raw["customer"]; ok {
		if err := json.Unmarshal(v, &customer); err != nil {
			return nil, "", osaudit.Errorf(osaudit.EINVALID, "customer: want a customer ID or name as a string")
		}
		delete(raw, "customer")
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, "", err
	}
	obj := new(T)
	if err := strictJSON(b, obj); err != nil {
		return nil, "", osaudit.Errorf(osaudit.EINVALID, "malformed JSON body: %v", err)
	}
	return obj, customer, nil
}

// one finds the object of the path's {id} that the caller may see.
func (o objects[T]) one(r *http.Request, c *caller) (*T, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	obj, err := o.get(r.Context(), id)
	var customerID int64
	if obj != nil {
		_, cid, _ := o.fields(obj)
		customerID = *cid
	}
	if err := visible(c, o.kind, id, customerID, err); err != nil {
		return nil, err
	}
	return obj, nil
}

func (o objects[T]) listHandler(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	keep, err := o.a.listFilter(r, c)
	if err != nil {
		return err
	}
	all, err := o.list(r.Context(), c.Scope)
	if err != nil {
		return fmt.Errorf("list %s: %w", o.kind, err)
	}
	all = filterSlice(all, func(x *T) bool {
		_, cid, name := o.fields(x)
		return keep(*cid, name)
	})
	items, next := paginate(all, func(x *T) int64 {
		id, _, _ := o.fields(x)
		return *id
	}, p)
	return writeList(w, items, next)
}

func (o objects[T]) createHandler(w http.ResponseWriter, r *http.Request, c *caller) error {
	obj, customer, err := decodeOwned[T](r)
	if err != nil {
		return err
	}
	id, cid, _ := o.fields(obj)
	*id = 0
	if *cid, err = o.a.ownerOf(r.Context(), c, *cid, customer); err != nil {
		return err
	}
	if err := o.save(r.Context(), c, obj, nil); err != nil {
		return err
	}
	o.a.configChanged()
	return respond(w, http.StatusCreated, obj)
}

func (o objects[T]) getHandler(w http.ResponseWriter, r *http.Request, c *caller) error {
	obj, err := o.one(r, c)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, obj)
}

// updateHandler replaces an object; it keeps its ID and customer.
func (o objects[T]) updateHandler(w http.ResponseWriter, r *http.Request, c *caller) error {
	old, err := o.one(r, c)
	if err != nil {
		return err
	}
	oldID, oldCID, _ := o.fields(old)
	if err := c.canWrite(*oldCID); err != nil {
		return err
	}
	obj, _, err := decodeOwned[T](r)
	if err != nil {
		return err
	}
	id, cid, _ := o.fields(obj)
	*id, *cid = *oldID, *oldCID
	if err := o.save(r.Context(), c, obj, old); err != nil {
		return err
	}
	o.a.configChanged()
	return respond(w, http.StatusOK, obj)
}

func (o objects[T]) deleteHandler(w http.ResponseWriter, r *http.Request, c *caller) error {
	obj, err := o.one(r, c)
	if err != nil {
		return err
	}
	id, cid, _ := o.fields(obj)
	if err := c.canWrite(*cid); err != nil {
		return err
	}
	if err := o.delete(r.Context(), *id); err != nil {
		return err
	}
	o.a.configChanged()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
