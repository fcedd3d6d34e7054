/* Tests for k8s_verb: verbs as the API server names them, bounded answer labels. */
#include <criterion/criterion.h>

#include "k8s_verb.h"

Test(verb, from_method_path_and_watch)
{
    static const struct {
        const char *method, *path;
        bool watch;
        const char *verb;
    } cases[] = {
        {"GET", "/api/v1/namespaces/ns/pods", false, "list"},
        {"GET", "/api/v1/namespaces/ns/pods", true, "watch"},
        {"GET", "/api/v1/namespaces/ns/pods/editor-1", false, "get"},
        {"GET", "/api/v1/pods", false, "list"},
        {"GET", "/api/v1/namespaces/ns", false, "get"},
        {"GET", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/prewarm", false, "get"},
        {"GET", "/apis/coordination.k8s.io/v1/namespaces/ns/leases", false, "list"},
        {"GET", "/version", false, "list"},
        {"POST", "/api/v1/namespaces/ns/pods", false, "create"},
        {"PUT", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/prewarm", false, "update"},
        {"PATCH", "/api/v1/namespaces/ns/pods/editor-1", false, "patch"},
        {"DELETE", "/api/v1/namespaces/ns/pods/editor-1", false, "delete"},
        {"OPTIONS", "/api/v1/namespaces/ns/pods", false, "other"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(k8s_verb_name(k8s_verb_of(cases[i].method, cases[i].path, cases[i].watch)),
                         cases[i].verb, "%s %s", cases[i].method, cases[i].path);
}

Test(verb, answers_have_a_fixed_set_of_labels)
{
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(200)), "200");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(409)), "409");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(504)), "504");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(203)), "2xx");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(302)), "3xx");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(418)), "4xx");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(599)), "5xx");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(0)), "error", "no HTTP answer");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(101)), "error");
    cr_expect_str_eq(k8s_answer_label(k8s_answer_slot(600)), "error");
    cr_expect_null(k8s_answer_label(K8S_ANSWER_SLOTS));
    for (size_t i = 0; i < K8S_ANSWER_SLOTS; i++)
        for (size_t j = 0; j < i; j++)
            cr_expect_str_neq(k8s_answer_label(i), k8s_answer_label(j), "labels are distinct");
}
